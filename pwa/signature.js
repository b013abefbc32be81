// Consent: a signature drawn on the screen (finger, pen or mouse) becomes a PNG data URL.
import { _ } from "./texts.js";

export function setUpSignatures() {
  for (const box of document.querySelectorAll("[data-signature]")) setUpSignature(box);
}

function setUpSignature(box) {
  const canvas = box.querySelector("[data-signature-pad]");
  const input = box.querySelector("[data-signature-value]");
  const status = box.querySelector("[data-signature-status]");
  const pen = canvas.getContext("2d");
  pen.lineWidth = 4; pen.lineCap = "round"; pen.lineJoin = "round";
  pen.strokeStyle = pen.fillStyle = "#1c2629";
  let last = null;
  const at = (event) => {
    const rect = canvas.getBoundingClientRect();
    return { x: (event.clientX - rect.left) * canvas.width / rect.width,
             y: (event.clientY - rect.top) * canvas.height / rect.height };
  };
  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    last = at(event);
    pen.beginPath(); pen.arc(last.x, last.y, 2, 0, 2 * Math.PI); pen.fill();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!last) return;
    event.preventDefault();
    const next = at(event);
    pen.beginPath(); pen.moveTo(last.x, last.y); pen.lineTo(next.x, next.y); pen.stroke();
    last = next;
  });
  const finish = () => {
    if (!last) return;
    last = null;
    input.value = canvas.toDataURL("image/png");
    status.textContent = _("Underskriften er med.");
  };
  for (const name of ["pointerup", "pointercancel", "lostpointercapture"]) canvas.addEventListener(name, finish);
  box.querySelector("[data-signature-clear]").addEventListener("click", () => {
    pen.clearRect(0, 0, canvas.width, canvas.height);
    input.value = "";
    status.textContent = _("Underskriften er fjernet.");
  });
  if (input.value) {  // a form shown again after an error keeps the signature
    const image = new Image();
    image.addEventListener("load", () => pen.drawImage(image, 0, 0));
    image.src = input.value;
    status.textContent = _("Underskriften er med.");
  }
}
