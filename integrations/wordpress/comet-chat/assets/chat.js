// Gives each chat of the page the title its shortcode or block set (the element's `title` string).
for (const chat of document.querySelectorAll('comet-chat[data-title]')) {
  chat.strings = { ...chat.strings, title: chat.dataset.title };
}
