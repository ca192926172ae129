// Keyboard shortcuts for the labelling form of `framing annotate`. The page works without this
// script (click and submit); it only maps keys to the form's controls and times each answer.
"use strict";
(function () {
  const form = document.getElementById("answer-form");
  if (!form) {
    return;
  }
  const started = performance.now();
  const note = document.getElementById("note");
  const seconds = document.getElementById("seconds");
  let sent = false;

  form.addEventListener("submit", function (event) {
    // One answer per page: a second Enter while the first is in flight posts nothing.
    if (sent) {
      event.preventDefault();
      return;
    }
    sent = true;
    seconds.value = ((performance.now() - started) / 1000).toFixed(2);
  });

  function press(id) {
    const button = document.getElementById(id);
    if (button) {
      button.click();
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    const key = event.key;
    if (event.target === note) {
      if (key === "Escape") {
        event.preventDefault();
        note.blur();
      } else if (key === "Enter") {
        event.preventDefault();
        press("save");
      }
      return;
    }
    const commands = { Enter: "save", k: "skip", u: "undo" };
    if (key in commands) {
      event.preventDefault();
      press(commands[key]);
      return;
    }
    if (key === "n") {
      event.preventDefault();
      note.focus();
      return;
    }
    if (key === "?") {
      const help = document.querySelector("details.help");
      help.open = !help.open;
      return;
    }
    const control = form.querySelector('input[data-key="' + CSS.escape(key) + '"]');
    if (control) {
      event.preventDefault();
      control.click();
    }
  });
})();
