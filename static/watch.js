// The spectator page: replays the episode's steps so far, then follows new ones over a WebSocket.
// A static file, not an inline script, so the Content-Security-Policy can refuse inline scripts.
(function () {
  "use strict";
  const steps = JSON.parse(document.getElementById("watch-trajectory").textContent);
  const state = JSON.parse(document.getElementById("watch-episode").textContent);
  const byTestid = (id) => document.querySelector('[data-testid="' + id + '"]');
  const tbody = byTestid("watch-steps").tBodies[0];
  const live = byTestid("watch-live");
  const shot = byTestid("watch-screenshot");
  const shotEmpty = byTestid("watch-screenshot-empty");
  const seen = new Set(steps.map((s) => s.index));

  function cell(text, className) {
    const td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text;
    return td;
  }

  function show(step) {
    byTestid("watch-route").textContent = step.route || "";
    byTestid("watch-last-action").textContent = step.action_type || "—";
    if (shot && step.thumbnail_url) {
      shot.src = step.thumbnail_url;
      shot.hidden = false;
      if (shotEmpty) shotEmpty.hidden = true;
    }
    for (const row of tbody.rows) row.classList.toggle("current", Number(row.dataset.index) === step.index);
  }

  function showEpisode(episode) {
    byTestid("watch-status").textContent = episode.status;
    byTestid("watch-step-count").textContent = episode.step_count;
    byTestid("watch-cumulative-reward").textContent = Number(episode.cumulative_reward).toFixed(3);
    if (episode.ended) live.textContent = "ended";
  }

  function append(step) {
    if (seen.has(step.index)) return;
    seen.add(step.index);
    steps.push(step);
    const empty = byTestid("watch-steps-empty");
    if (empty) empty.remove();
    const row = document.createElement("tr");
    row.dataset.index = step.index;
    row.dataset.testid = "watch-step-" + step.index;
    row.className = "new";
    const action = cell(" " + step.action_args, "action");
    const type = document.createElement("strong");
    type.textContent = step.action_type;
    action.prepend(type);
    row.append(cell(step.index, "num"), action, cell(step.route, "mono"), cell(Number(step.reward).toFixed(3), "num"),
               cell(step.error || "", "flag-high"));
    tbody.append(row);
    byTestid("watch-step-total").textContent = steps.length;
    byTestid("watch-replay").disabled = false;
    show(step);
  }

  if (steps.length) show(steps[steps.length - 1]);

  // Clicking a step shows it (its page and screenshot) in the Now panel.
  tbody.addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-index]");
    const step = row && steps.find((s) => s.index === Number(row.dataset.index));
    if (step) show(step);
  });

  let replaying = null;
  byTestid("watch-replay").addEventListener("click", () => {
    clearInterval(replaying);
    let i = 0;
    const delay = Number(document.getElementById("watch-speed").value);
    replaying = setInterval(() => {
      if (i >= steps.length) { clearInterval(replaying); return; }
      show(steps[i++]);
    }, delay);
  });

  if (state.ended) {
    live.textContent = "ended";
    return;
  }
  const socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + document.getElementById("watch-socket").dataset.path);
  socket.addEventListener("open", () => { live.textContent = "live"; live.classList.add("on"); });
  socket.addEventListener("close", () => { live.classList.remove("on"); if (live.textContent === "live") live.textContent = "disconnected"; });
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.kind === "step") {
      append(message);
      if (message.episode) showEpisode(message.episode);
    } else if (message.kind === "episode") {
      showEpisode(message);
    } else if (message.type === "error") {
      live.textContent = "not live";  // the server says why, and closes
      live.title = message.detail;
    }
  });
})();
