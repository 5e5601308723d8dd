// GP mode, progressive enhancement only: without this file the record text can still be
// selected and copied, the browser's own Print still works, and the server checks the ticks.

/** A polite live region, created before anything is announced into it. */
function statusLine(after, className) {
  const line = document.createElement("p");
  line.className = `nhsuk-body-s ${className}`;
  line.setAttribute("role", "status");
  after.insertAdjacentElement("afterend", line);
  return line;
}

function secondaryButton(text) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "nhsuk-button nhsuk-button--secondary nhsuk-button--small";
  button.textContent = text;
  return button;
}

async function copyText(textarea) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(textarea.value);
      return true;
    } catch {
      // Permission refused: fall back to selecting the text.
    }
  }
  textarea.focus();
  textarea.select();
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  }
}

function enhanceRecord(container) {
  const textarea = container.querySelector("textarea");
  if (!textarea) return;
  const button = secondaryButton("Copy text for the record");
  button.classList.add("signpost-gp-record__copy");
  textarea.insertAdjacentElement("afterend", button);
  const status = statusLine(button, "signpost-gp-record__status");
  button.addEventListener("click", async () => {
    const copied = await copyText(textarea);
    status.textContent = copied
      ? "Copied. Paste it into the patient's record."
      : "Could not copy automatically: the text is selected, press Ctrl+C (or Cmd+C) to copy it.";
    if (!copied) {
      textarea.focus();
      textarea.select();
    }
  });
}

function enhancePrint(container) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "nhsuk-button";
  button.textContent = "Print the handout";
  button.addEventListener("click", () => window.print());
  container.prepend(button);
}

function enhanceCount(form) {
  const boxes = [...form.querySelectorAll('input[type="checkbox"][name="service"]')];
  const max = Number(form.dataset.max || "5");
  const legend = form.querySelector("legend");
  if (!boxes.length || !legend) return;
  const status = statusLine(form.querySelector(".nhsuk-hint") || legend, "signpost-gp-count");
  const update = () => {
    const ticked = boxes.filter((box) => box.checked).length;
    if (ticked === 0) {
      status.textContent = "";
    } else if (ticked <= max) {
      status.textContent = `${ticked} of ${max} chosen.`;
    } else {
      status.textContent = `${ticked} chosen: the handout has room for ${max}, so it will show the first ${max}.`;
    }
  };
  boxes.forEach((box) => box.addEventListener("change", update));
  update();
}

document.querySelectorAll("[data-gp-record]").forEach(enhanceRecord);
document.querySelectorAll("[data-gp-print]").forEach(enhancePrint);
document.querySelectorAll("[data-gp-choose]").forEach(enhanceCount);
