// The login page: explains a failed login or a logout, and offers the chat when already logged in.
const params = new URLSearchParams(location.search);
const notice = document.getElementById('notice');

function show(text, kind) {
  notice.textContent = text;
  notice.dataset.kind = kind;
  notice.hidden = false;
}

if (params.has('error')) show('Wrong login or password.', 'error');
else if (params.has('bye')) show('You have left the chat.', 'info');

const { user } = await (await fetch('/auth/session', { credentials: 'same-origin' })).json();
if (user) {
  document.getElementById('already-name').textContent = user.name;
  document.getElementById('already').hidden = false;
}
