// Set-of-marks: a labelled box over every element with a bid that is in the viewport,
// drawn just before the screenshot and removed right after it (the overlay ignores the
// pointer and the accessibility tree skips it, so it can never change what the agent does).
const overlay = document.createElement("div");
overlay.setAttribute("data-ehrgym-overlay", "");
overlay.setAttribute("aria-hidden", "true");
overlay.style.cssText = "position:fixed;inset:0;pointer-events:none;z-index:2147483647;";
const width = window.innerWidth;
const height = window.innerHeight;
// Only what an agent acts on is marked (rows and panels with a test id keep their bid in
// the tree, but boxes around them would hide the controls inside).
const ACTIONABLE = 'a[href], button, input:not([type="hidden"]), select, textarea, summary, [contenteditable="true"], ' +
  '[tabindex]:not([tabindex^="-"]), [role="button"], [role="link"], [role="tab"], [role="checkbox"], ' +
  '[role="radio"], [role="menuitem"], [role="option"], [role="switch"], [role="textbox"], [role="combobox"]';
let count = 0;
for (const el of document.querySelectorAll("[data-bid]")) {
  if (!el.matches(ACTIONABLE)) continue;
  const rect = el.getBoundingClientRect();
  if (rect.width < 1 || rect.height < 1 || rect.bottom < 0 || rect.right < 0 || rect.top > height || rect.left > width) {
    continue;
  }
  const box = document.createElement("div");
  box.style.cssText = "position:fixed;box-sizing:border-box;border:1px solid #d12;" +
    `left:${rect.left}px;top:${rect.top}px;width:${rect.width}px;height:${rect.height}px;`;
  const label = document.createElement("span");
  label.textContent = el.getAttribute("data-bid");
  label.style.cssText = "position:absolute;left:-1px;top:-11px;background:#d12;color:#fff;opacity:.85;" +
    "font:bold 9px/10px monospace;padding:0 2px;white-space:nowrap;";
  box.appendChild(label);
  overlay.appendChild(box);
  count += 1;
}
document.documentElement.appendChild(overlay);
return count;
