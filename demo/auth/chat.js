// The chat page: asks this site's backend for the logged-in user's id and comet key (the session
// cookie is HttpOnly, so only the backend can read it) and hands them to the widget.
const { user: me } = await (await fetch('/auth/session', { credentials: 'same-origin' })).json();
if (!me) {
  location.replace('/auth/');
} else {
  document.getElementById('me').textContent = me.name;
  const chat = document.querySelector('comet-chat');
  chat.setAttribute('user-id', String(me.user_id));
  chat.setAttribute('user-key', me.user_key);
  chat.setAttribute('server', '/');
}
