// The web app's progressive touches; every page works without them.
// - After a refused submit, move focus to the error summary so keyboard and screen-reader
//   users land on what to fix.
// - On the self-assessment form, say how many elements are rated so far.
// - On a running import's page ([data-poll]), fetch the page again every few seconds and show
//   its new figures; once the import has ended, load the whole page (its row errors too).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  const count = document.querySelector("[data-rated-count]");
  const form = count && count.closest("form");
  if (form) {
    const selects = [...form.querySelectorAll("select")];
    const update = () => {
      const rated = selects.filter((select) => select.value !== "").length;
      count.textContent = `${rated} of ${selects.length} elements rated.`;
    };
    form.addEventListener("change", update);
    update();
  }

  const polled = document.querySelector("[data-poll]");
  if (polled && window.fetch && window.DOMParser) {
    const every = Math.max(1000, Number(polled.dataset.poll) || 2000);
    const poll = async () => {
      try {
        const answer = await fetch(window.location.href, { credentials: "same-origin" });
        if (!answer.ok) return;
        const fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
        const figures = fresh.getElementById(polled.id);
        if (!figures) return;
        if (!figures.hasAttribute("data-poll")) {
          window.location.reload();
          return;
        }
        polled.innerHTML = figures.innerHTML;
      } catch (error) {
        return; // the Refresh link still works
      }
      window.setTimeout(poll, every);
    };
    window.setTimeout(poll, every);
  }
});
