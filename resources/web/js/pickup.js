// The pickup screen (/pickup): order numbers only, PREPARING and READY, live through the
// public pickupBoard subscription; a chime when a number becomes ready.
import { follow, h, liveClient } from "./api.js";

const BOARD = `subscription Board { pickupBoard { number state } }`;
const $ = (id) => document.getElementById(id);

// Font sizes of a number (px at 1920×1080): as large as the count lets them be, never
// below what is read from across the room; past that, "+N more" stands for the rest.
const LARGEST_PX = { preparing: 104, ready: 144 };
const LEGIBLE_PX = 60;

let audio = null; // browsers let a page play sound only after someone touched it
let ready = null; // numbers shown as ready, longest waiting first; null until the first board
let shown = { preparing: [], ready: [], fresh: [] };

function chime() {
  if (!audio) return;
  const now = audio.currentTime;
  for (const [offset, frequency] of [[0, 880], [0.18, 1318.5]]) {
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, now + offset);
    gain.gain.exponentialRampToValueAtTime(0.4, now + offset + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.6);
    tone.connect(gain).connect(audio.destination);
    tone.start(now + offset);
    tone.stop(now + offset + 0.65);
  }
}

$("sound").addEventListener("click", () => {
  audio = audio || new AudioContext();
  audio.resume();
  $("sound").hidden = true;
  chime();
});

const overflows = (list) => list.scrollHeight > list.clientHeight + 1 || list.scrollWidth > list.clientWidth + 1;

// Draw ``numbers`` in the list ``id`` as large as they fit its box. They are in the order
// customers have waited, so when even the legible size is too large the last ones (the
// newest) give way to "+N more": the longest-waiting always see their number.
function fit(id, numbers, fresh = []) {
  const list = $(id);
  const more = $(`${id}-more`);
  const item = (n) => h("li", { class: fresh.includes(n) ? "number new" : "number", "data-number": String(n) }, String(n));
  list.replaceChildren(...numbers.map(item));
  more.hidden = true;
  // A first guess from the area a number takes (about 2.4 × 1.3 of its size, with the
  // gaps), then smaller until nothing spills out of the column.
  const area = list.clientWidth * list.clientHeight;
  let size = Math.min(LARGEST_PX[id], Math.sqrt(area / (Math.max(numbers.length, 1) * 2.4 * 1.3)));
  size = Math.max(LEGIBLE_PX, Math.floor(size));
  list.style.setProperty("--size", `${size}px`);
  while (overflows(list) && size > LEGIBLE_PX) {
    size = Math.max(LEGIBLE_PX, Math.floor(size * 0.92));
    list.style.setProperty("--size", `${size}px`);
  }
  let hidden = 0;
  if (overflows(list)) {
    more.hidden = false;
    while (overflows(list) && list.lastElementChild) {
      list.lastElementChild.remove();
      hidden += 1;
      more.textContent = `+${hidden} more`;
    }
  }
  list.dataset.hidden = String(hidden);
}

function draw() {
  fit("preparing", shown.preparing);
  fit("ready", shown.ready, shown.fresh);
}

function show(entries) {
  const byNumber = (a, b) => a - b;
  const preparing = entries.filter((e) => e.state === "PREPARING").map((e) => e.number).sort(byNumber);
  const nowReady = new Set(entries.filter((e) => e.state === "READY").map((e) => e.number));
  // Longest waiting first: those already shown keep their place, new ones join the end
  // (the first board's by number: the lower, the longer it has waited).
  const kept = (ready || []).filter((n) => nowReady.has(n));
  const joined = [...nowReady].filter((n) => !kept.includes(n)).sort(byNumber);
  // The first board is what was already there: nothing in it is "just called".
  const fresh = ready === null ? [] : joined;
  ready = [...kept, ...joined];
  shown = { preparing, ready, fresh };
  draw();
  if (fresh.length) {
    document.body.dataset.chimes = String(Number(document.body.dataset.chimes || 0) + 1);
    chime();
  }
}

addEventListener("resize", draw);

const client = liveClient(null, (state) => {
  $("connection").textContent = state === "live" ? "" : "Reconnecting…";
});
follow(client, BOARD, {}, (data) => show(data.pickupBoard), (error) => {
  $("connection").textContent = `The board cannot be shown: ${error.message}`;
});
