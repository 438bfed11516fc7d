// The colour-scheme switch: sets `theme` (light, dark or auto) on every chat of the page.
const stage = document.getElementById('stage');

function apply(theme) {
  stage.dataset.theme = theme;
  for (const chat of stage.querySelectorAll('comet-chat')) chat.setAttribute('theme', theme);
}

for (const radio of document.querySelectorAll('input[name="theme"]')) {
  radio.addEventListener('change', () => radio.checked && apply(radio.value));
}
apply(document.querySelector('input[name="theme"]:checked').value);
