// The pickup screen (/pickup): order numbers only, PREPARING and READY, live through the
// public pickupBoard subscription; a chime when a number becomes ready.
import { follow, h, liveClient } from "./api.js";

const BOARD = `subscription Board { pickupBoard { number state } }`;
const $ = (id) => document.getElementById(id);

let audio = null; // browsers let a page play sound only after someone touched it
let ready = null; // numbers shown as ready; null until the first board

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

function show(entries) {
  const preparing = entries.filter((e) => e.state === "PREPARING").map((e) => e.number);
  const nowReady = entries.filter((e) => e.state === "READY").map((e) => e.number);
  const fresh = ready === null ? [] : nowReady.filter((n) => !ready.has(n));
  ready = new Set(nowReady);
  const item = (n, isNew) => h("li", { class: isNew ? "number new" : "number", "data-number": String(n) }, String(n));
  $("preparing").replaceChildren(...preparing.map((n) => item(n, false)));
  // Newest ready first: the one just called is where the eye lands.
  $("ready").replaceChildren(...[...nowReady].reverse().map((n) => item(n, fresh.includes(n))));
  if (fresh.length) {
    document.body.dataset.chimes = String(Number(document.body.dataset.chimes || 0) + 1);
    chime();
  }
}

const client = liveClient(null, (state) => {
  $("connection").textContent = state === "live" ? "" : "Reconnecting…";
});
follow(client, BOARD, {}, (data) => show(data.pickupBoard), (error) => {
  $("connection").textContent = `The board cannot be shown: ${error.message}`;
});
