// The web app's progressive touches; every page works without them.
// - After a refused submit, move focus to the error summary so keyboard and screen-reader
//   users land on what to fix.
// - On the self-assessment form, say how many elements are rated so far.
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
});
