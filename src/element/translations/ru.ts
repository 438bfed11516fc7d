import type { Translation } from '../localize.js';

/** Russian strings. */
const ru: Translation = {
  $code: 'ru',
  title: 'Чат',
  online: (n) => `${n} в сети`,
  status: { idle: 'Нет соединения', connecting: 'Подключение…', connected: 'Подключено', reconnecting: 'Переподключение…', disconnected: 'Отключено' },
  feedLabel: 'Сообщения',
  empty: 'Сообщений пока нет. Напишите первым!',
  loadEarlier: 'Загрузить более ранние сообщения',
  loading: 'Загрузка…',
  newMessages: 'Новые сообщения',
  you: 'Вы',
  anonymous: 'Аноним',
  user: (id) => `Пользователь ${id}`,
  joined: (name) => `${name} вошёл в чат`,
  left: (name) => `${name} покинул чат`,
  typing: (names) => (names.length ? `${names.join(', ')} ${names.length > 1 ? 'печатают' : 'печатает'}…` : 'Кто-то печатает…'),
  nameLabel: 'Ваше имя',
  namePlaceholder: 'Укажите ваше имя…',
  messageLabel: 'Сообщение',
  messagePlaceholder: 'Напишите сообщение…',
  send: 'Отправить',
  sending: 'Отправка…',
  delivered: (n) => `Доставлено ${n} ${n % 10 === 1 && n % 100 !== 11 ? 'получателю' : 'получателям'}`,
  failed: (reason) => `Не доставлено: ${reason}`,
  reasonReadonly: 'Чат только для чтения.',
  reasonOffline: 'Нет соединения; отправка возобновится, когда оно восстановится.',
  reasonNoPublish: 'Писать в этот канал может только сайт.',
  reasonNeedName: 'Укажите имя, чтобы писать.',
};
export default ru;
