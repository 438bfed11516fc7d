// @ts-check
/**
 * The seed's five demo users (authChat.php keeps them in an array instead of a database).
 * The password is the seed's too: this is a demo, never a pattern for storing passwords.
 */
export const DEMO_PASSWORD = 'qwerty';

/** @type {ReadonlyMap<string, { id: number, name: string }>} */
export const USERS = new Map([
  ['victor', { id: 1, name: 'Виктор' }],
  ['dimon', { id: 2, name: 'Димон' }],
  ['olga', { id: 3, name: 'Оля' }],
  ['kate', { id: 4, name: 'Катя' }],
  ['masha', { id: 5, name: 'Маша' }],
]);

/**
 * The user for a login and password, or undefined when either is wrong.
 * @param {string} login
 * @param {string} pass
 */
export function checkPassword(login, pass) {
  const user = USERS.get(login);
  return user !== undefined && pass === DEMO_PASSWORD ? { login, ...user } : undefined;
}
