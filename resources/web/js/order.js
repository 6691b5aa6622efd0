// The order page (/, /order) and the kiosk (/kiosk): the live menu, a cart, and
// placeOrder with one idempotency key per cart, so a double tap or a retried request
// never makes two orders.
import { ApiError, follow, h, liveClient, money, newKey, request } from "./api.js";

// One page, two uses: at /kiosk it is the counter's tablet (channel KIOSK, large
// targets), everywhere else a customer's phone (channel WEB).
const KIOSK = location.pathname.replace(/\/+$/, "") === "/kiosk";
if (KIOSK) {
  document.body.classList.add("kiosk");
  document.body.dataset.channel = "KIOSK";
  document.title = "Order here";
  document.querySelector("h1").textContent = "Order here";
}
const params = new URLSearchParams(location.search);
// A table's QR code says ?table=12 (the API's tables are 1 to 999). Another value is a
// misprinted or mistyped code: the guest is told, and asked for the table instead.
const TABLE_PARAM = params.get("table");
const TABLE = /^[1-9][0-9]{0,2}$/.test(TABLE_PARAM || "") ? Number(TABLE_PARAM) : null;
const BAD_TABLE = TABLE_PARAM !== null && TABLE === null;
// The kiosk goes back to its start after a minute without a touch (?idle= seconds, for tests).
const IDLE_MS = 1000 * (Number(params.get("idle")) > 0 ? Number(params.get("idle")) : 60);
// How long the kiosk shows the number it gave (?placed= seconds, for tests).
const PLACED_MS = 1000 * (Number(params.get("placed")) > 0 ? Number(params.get("placed")) : 20);

const MENU = `subscription Menu { menu { id name category priceCents available
  modifierGroups { id name minChoices maxChoices modifiers { id name priceCents } } } }`;
const PLACE = `mutation Place($input: PlaceOrderInput!, $key: String) {
  placeOrder(input: $input, idempotencyKey: $key) { accessToken order { id number } }
}`;

// The API's Allergen enum (the 14 allergens EU law makes a kitchen declare), as said to a guest.
const ALLERGENS = [
  ["GLUTEN", "Gluten"], ["CRUSTACEANS", "Crustaceans"], ["EGGS", "Eggs"], ["FISH", "Fish"],
  ["PEANUTS", "Peanuts"], ["SOY", "Soy"], ["MILK", "Milk"], ["TREE_NUTS", "Tree nuts"],
  ["CELERY", "Celery"], ["MUSTARD", "Mustard"], ["SESAME", "Sesame"], ["SULPHITES", "Sulphites"],
  ["LUPIN", "Lupin"], ["MOLLUSCS", "Molluscs"],
];

const $ = (id) => document.getElementById(id);
const state = {
  menu: new Map(), // id -> item
  cart: [], // {id, quantity, notes, modifiers: [modifier ids], allergens: [names], allergiesOpen}
  allergens: [], // the guest's, for the whole order
  key: newKey(), // made when the cart opens; a new one after each order
  placing: false,
  cartInView: false, // the bar that leads down to the cart is not needed there
};

// ---- the menu, live -------------------------------------------------------------

function renderMenu() {
  const byCategory = new Map();
  for (const item of state.menu.values()) {
    if (!byCategory.has(item.category)) byCategory.set(item.category, []);
    byCategory.get(item.category).push(item);
  }
  const menu = $("menu");
  menu.replaceChildren(
    ...[...byCategory].map(([category, items]) =>
      h("section", { class: "category", "aria-label": category },
        h("h3", {}, category),
        h("ul", { class: "items" },
          items.map((item) =>
            h("li", { class: item.available ? "item" : "item sold-out", "data-item": item.id },
              h("span", { class: "item-name" }, item.name),
              h("span", { class: "price" }, money(item.priceCents)),
              item.available
                ? h("button", { type: "button", class: "add", "aria-label": `Add ${item.name}`, onclick: () => add(item.id) }, "Add")
                : h("span", { class: "badge" }, "Sold out"),
            ),
          ),
        ),
      ),
    ),
  );
  menu.setAttribute("aria-busy", "false");
}

function connection(stateName) {
  $("connection").textContent = stateName === "live" ? "" : "Reconnecting…";
}

const client = liveClient(null, connection);
follow(
  client,
  MENU,
  {},
  (data) => {
    state.menu = new Map(data.menu.map((item) => [item.id, item]));
    $("menu-error").hidden = true;
    renderMenu();
    renderCart();
  },
  (error) => {
    $("menu-error").textContent = `The menu could not be loaded: ${error.message}`;
    $("menu-error").hidden = false;
  },
);

// ---- the cart -------------------------------------------------------------------

function add(id) {
  // One more on a line as plain as this one; a line with a note or choices stays as it is.
  const line = state.cart.find((l) => l.id === id && !l.notes && l.modifiers.length === 0 && l.allergens.length === 0);
  if (line) line.quantity = Math.min(99, line.quantity + 1);
  else state.cart.push({ id, quantity: 1, notes: "", modifiers: [], allergens: [], allergiesOpen: false });
  renderCart();
}

// ---- a line's modifiers (the item's modifierGroups) ------------------------------

function groupsOf(line) {
  return state.menu.get(line.id)?.modifierGroups || [];
}

// One of the line's item, with the chosen modifiers that the menu still offers.
function unitCents(line) {
  const item = state.menu.get(line.id);
  if (!item) return 0;
  const offered = new Map(groupsOf(line).flatMap((g) => g.modifiers.map((m) => [m.id, m.priceCents])));
  return item.priceCents + line.modifiers.reduce((sum, id) => sum + (offered.get(id) || 0), 0);
}

// The first group the line has too few of ("choose a Doneness"), or null.
function missingChoice(line) {
  for (const group of groupsOf(line)) {
    const ids = new Set(group.modifiers.map((m) => m.id));
    if (line.modifiers.filter((id) => ids.has(id)).length < group.minChoices) return group;
  }
  return null;
}

function choose(line, group, ids) {
  const mine = new Set(group.modifiers.map((m) => m.id));
  const kept = line.modifiers.filter((id) => !mine.has(id));
  line.modifiers = [...kept, ...ids];
  // What the line's error asked for may be done now: it goes (the server says again if not).
  const error = document.getElementById(`items.${state.cart.indexOf(line)}-error`);
  if (error) error.hidden = true;
  renderPrices();
}

function priceLabel(modifier) {
  return modifier.priceCents ? `${modifier.name} (+${money(modifier.priceCents)})` : modifier.name;
}

// A single choice is a list to pick from; more are check boxes, at most maxChoices ticked.
function renderGroup(line, group, name) {
  const label = `${group.name} for ${name}`;
  if (group.maxChoices === 1) {
    const chosen = group.modifiers.find((m) => line.modifiers.includes(m.id));
    return h("label", { class: "choice" },
      h("span", {}, group.minChoices ? `${group.name} (required)` : group.name),
      h("select", { "aria-label": label, onchange: (e) => choose(line, group, e.target.value ? [e.target.value] : []) },
        h("option", { value: "", selected: !chosen }, group.minChoices ? "Choose…" : "No preference"),
        group.modifiers.map((m) => h("option", { value: m.id, selected: chosen?.id === m.id }, priceLabel(m))),
      ),
    );
  }
  const onchange = (e) => {
    const boxes = [...e.target.closest("fieldset").querySelectorAll("input[type=checkbox]")];
    if (boxes.filter((b) => b.checked).length > group.maxChoices) e.target.checked = false;
    choose(line, group, boxes.filter((b) => b.checked).map((b) => b.value));
  };
  return h("fieldset", { class: "choice", "aria-label": label },
    h("legend", {}, `${group.name} (up to ${group.maxChoices})`),
    group.modifiers.map((m) =>
      h("label", {},
        h("input", { type: "checkbox", value: m.id, checked: line.modifiers.includes(m.id), onchange }),
        ` ${priceLabel(m)}`,
      ),
    ),
  );
}

// The 14 allergens as check boxes; ``onchange(names ticked)``.
function allergenBoxes(label, chosen, onchange) {
  const changed = (e) => {
    const boxes = [...e.target.closest("fieldset").querySelectorAll("input[type=checkbox]")];
    onchange(boxes.filter((b) => b.checked).map((b) => b.value));
  };
  return h("fieldset", { class: "allergen-boxes", "aria-label": label },
    ALLERGENS.map(([value, name]) =>
      h("label", {}, h("input", { type: "checkbox", value, checked: chosen.includes(value), onchange: changed }), ` ${name}`),
    ),
  );
}

// A line's own allergies, folded away until the guest opens them.
function renderLineAllergies(line, name) {
  const summary = () => (line.allergens.length
    ? `Allergies: ${line.allergens.map((a) => ALLERGENS.find(([v]) => v === a)[1]).join(", ")}`
    : "Allergies for this item?");
  const head = h("summary", {}, summary());
  return h("details", { class: "line-allergies", open: line.allergiesOpen, ontoggle: (e) => { line.allergiesOpen = e.target.open; } },
    head,
    allergenBoxes(`Allergies for ${name}`, line.allergens, (names) => {
      line.allergens = names;
      head.textContent = summary();
    }),
  );
}

function renderCart() {
  const cart = $("cart");
  const lines = state.cart.map((line, index) => {
    const item = state.menu.get(line.id) || { name: line.id, priceCents: 0, available: false };
    const name = item.name;
    return h("li", { class: item.available ? "line" : "line sold-out", "data-line": line.id },
      h("div", { class: "line-head" },
        h("span", { class: "item-name" }, name),
        h("span", { class: "price line-price" }, money(unitCents(line) * line.quantity)),
      ),
      item.available ? null : h("p", { class: "field-error" }, `${name} has just sold out: remove it to order.`),
      h("div", { class: "line-controls" },
        h("button", { type: "button", class: "step", "aria-label": `One ${name} less`, onclick: () => step(index, -1) }, "−"),
        h("output", { class: "quantity", "aria-label": `${name} quantity` }, String(line.quantity)),
        h("button", { type: "button", class: "step", "aria-label": `One ${name} more`, onclick: () => step(index, +1) }, "+"),
        h("input", {
          class: "line-notes", "aria-label": `Note for ${name}`, placeholder: "Note (no onions…)", maxlength: "500",
          value: line.notes, oninput: (e) => { line.notes = e.target.value; },
        }),
      ),
      groupsOf(line).length ? h("div", { class: "line-choices" }, groupsOf(line).map((g) => renderGroup(line, g, name))) : null,
      renderLineAllergies(line, name),
      h("p", { class: "field-error", id: `items.${index}-error`, role: "alert", hidden: true }),
    );
  });
  cart.replaceChildren(...lines);
  $("cart-empty").hidden = state.cart.length > 0;
  renderPrices();
  $("place").disabled = state.placing || state.cart.length === 0;
}

// The prices only: re-drawing the cart would take the focus from a choice being made.
function renderPrices() {
  const prices = $("cart").querySelectorAll(".line-price");
  state.cart.forEach((line, index) => {
    if (prices[index]) prices[index].textContent = money(unitCents(line) * line.quantity);
  });
  const total = state.cart.reduce((sum, l) => sum + unitCents(l) * l.quantity, 0);
  $("total").textContent = money(total);
  renderBar(total);
}

// Only the bar: re-drawing the cart would take the focus from a note being typed.
function renderBar(total) {
  const count = state.cart.reduce((sum, l) => sum + l.quantity, 0);
  $("to-cart").textContent = `Your order: ${count} ${count === 1 ? "item" : "items"} · ${money(total)}`;
  $("to-cart").hidden = count === 0 || !$("placed").hidden || state.cartInView;
}

function step(index, delta) {
  const line = state.cart[index];
  line.quantity += delta;
  if (line.quantity <= 0) state.cart.splice(index, 1);
  line.quantity = Math.min(99, line.quantity);
  renderCart();
}

// ---- fulfillment ----------------------------------------------------------------

function fulfillment() {
  return document.querySelector("input[name=fulfillment]:checked").value;
}

function showAddress() {
  $("address-field").hidden = fulfillment() !== "DELIVERY";
  // Eating in needs the table number, unless the table's QR code gave it.
  $("table-field").hidden = fulfillment() !== "DINE_IN" || TABLE !== null;
}

if (TABLE) {
  // A table's QR code: dine in at that table, shown and not to be changed.
  $("table-banner").textContent = `Table ${TABLE}`;
  $("table-banner").hidden = false;
  $("dine-in-label").textContent = `Eat in at table ${TABLE}`;
  $("choice-dine-in").hidden = false;
  $("choice-takeaway").hidden = true;
  $("choice-delivery").hidden = true;
  document.querySelector("input[value=DINE_IN]").checked = true;
} else if (BAD_TABLE) {
  // Not takeaway behind the guest's back: they scanned a table's code, so they eat in.
  $("table-problem").textContent = `This table code is not right ("${TABLE_PARAM}" is no table here). `
    + "Type the number on your table below, or ask the staff.";
  $("table-problem").hidden = false;
  $("choice-dine-in").hidden = false;
  document.querySelector("input[value=DINE_IN]").checked = true;
} else if (KIOSK) {
  $("choice-dine-in").hidden = false;
  $("choice-delivery").hidden = true;
}
for (const radio of document.querySelectorAll("input[name=fulfillment]")) radio.addEventListener("change", showAddress);
showAddress();

// ---- allergies for the whole order -----------------------------------------------

function renderAllergies() {
  $("order-allergens").replaceWith(
    Object.assign(allergenBoxes("Allergies for the whole order", state.allergens, (names) => { state.allergens = names; }), { id: "order-allergens" }),
  );
}
renderAllergies();

// ---- placing --------------------------------------------------------------------

const FIELDS = ["address", "table", "customerName", "phone", "notes", "allergens", "items"];

function clearErrors() {
  for (const el of document.querySelectorAll(".field-error[role=alert], #form-error")) {
    el.hidden = true;
    el.textContent = "";
  }
  for (const el of document.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

// The API's words, said to a customer.
function plain(error) {
  if (error.field === "table") {
    if (/needs its table/.test(error.message)) return "Please type your table number: it is on your table.";
    if (/out of range/.test(error.message)) return "There is no table with that number here: it is from 1 to 999, on your table.";
  }
  if (error.field === "idempotencyKey") {
    return "Your order had already gone through before you changed it (the confirmation was lost on the way). "
      + "Tap Place order again to send this changed order as a new one, or ask at the counter about the first.";
  }
  if (error.code === "LIMIT_EXCEEDED" && error.extensions.retryAfterSeconds) {
    return `Too many orders from this device just now. Please try again in ${error.extensions.retryAfterSeconds} seconds.`;
  }
  if (error.code === "NETWORK") return error.message;
  if (error.code === "STORAGE_FULL") return "The restaurant cannot take orders right now. Please order at the counter.";
  if (error.code === "INTERNAL_SERVER_ERROR") return "Something went wrong on our side. Please try again, or order at the counter.";
  const text = error.message.replace(/`/g, "");
  return text.charAt(0).toUpperCase() + text.slice(1) + ".";
}

function showError(error) {
  const field = error.field || "";
  const match = /^items\.(\d+)/.exec(field);
  let target = null;
  if (match) target = document.getElementById(`items.${match[1]}-error`);
  else if (FIELDS.includes(field)) target = $(`${field}-error`);
  if (target) {
    target.textContent = plain(error);
    target.hidden = false;
    // Quoted: a line's field ("items.0.modifierIds") is no bare CSS identifier.
    const input = document.querySelector(`[name="${CSS.escape(field)}"]`);
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  } else {
    $("form-error").textContent = plain(error);
    $("form-error").hidden = false;
  }
}

function orderInput() {
  const notes = $("notes").value.trim();
  // As typed (0 and 1000 too: the server's answer says which numbers are tables).
  const typed = $("table").value.trim();
  const table = TABLE ?? (/^[0-9]{1,6}$/.test(typed) ? Number(typed) : null);
  return {
    channel: KIOSK ? "KIOSK" : "WEB",
    fulfillment: fulfillment(),
    items: state.cart.map((l) => {
      const offered = new Set(groupsOf(l).flatMap((g) => g.modifiers.map((m) => m.id)));
      return {
        menuItemId: l.id, quantity: l.quantity, notes: l.notes.trim() || null,
        modifierIds: l.modifiers.filter((id) => offered.has(id)), allergens: l.allergens,
      };
    }),
    customerName: $("name").value.trim() || null,
    phone: $("phone").value.trim() || null,
    address: fulfillment() === "DELIVERY" ? $("address").value.trim() || null : null,
    table: fulfillment() === "DINE_IN" ? table : null,
    notes: notes || null,
    allergens: state.allergens,
  };
}

async function place(event) {
  event.preventDefault();
  if (state.placing || state.cart.length === 0) return; // a second tap while the first is on its way
  clearErrors();
  if (fulfillment() === "DELIVERY" && !$("address").value.trim()) {
    showError(new ApiError("say where to deliver: the delivery address is empty", "BAD_USER_INPUT", "address"));
    return;
  }
  const unchosen = state.cart.findIndex((line) => missingChoice(line));
  if (unchosen >= 0) {
    const line = state.cart[unchosen];
    const name = state.menu.get(line.id)?.name || line.id;
    const group = missingChoice(line);
    showError(new ApiError(`choose the ${group.name.toLowerCase()} of your ${name} first`, "BAD_USER_INPUT", `items.${unchosen}.modifierIds`));
    return;
  }
  state.placing = true;
  $("place").textContent = "Placing…";
  renderCart();
  try {
    const data = await request(PLACE, { input: orderInput(), key: state.key });
    const { order, accessToken } = data.placeOrder;
    if (KIOSK) showPlaced(order.number);
    else location.assign(`/orders/${encodeURIComponent(order.id)}?token=${encodeURIComponent(accessToken)}`);
  } catch (error) {
    // The key placed an order whose answer was lost, and the cart has changed since: the
    // changed cart is a new order, so it gets a key of its own (the next tap places it).
    if (error instanceof ApiError && error.field === "idempotencyKey") state.key = newKey();
    showError(error instanceof ApiError ? error : new ApiError(String(error), "NETWORK"));
  } finally {
    state.placing = false;
    $("place").textContent = "Place order";
    renderCart();
  }
}

$("checkout").addEventListener("submit", place);
new IntersectionObserver((entries) => {
  state.cartInView = entries[0].isIntersecting;
  $("to-cart").hidden = state.cart.length === 0 || !$("placed").hidden || state.cartInView;
}).observe($("checkout"));

// ---- the kiosk: back to the start ----------------------------------------------

let placedTimer = null;

function showPlaced(number) {
  $("placed-number").textContent = String(number);
  $("checkout").hidden = true;
  $("placed").hidden = false;
  $("again").focus();
  placedTimer = setTimeout(restart, PLACED_MS);
}

function restart() {
  clearTimeout(placedTimer);
  state.cart = [];
  state.allergens = [];
  renderAllergies();
  $("allergies").open = false;
  state.key = newKey();
  for (const id of ["name", "phone", "notes", "address", "table"]) $(id).value = "";
  // The next customer starts from the usual choice, not the last one's "eat here".
  document.querySelector(`input[value=${TABLE ? "DINE_IN" : "TAKEAWAY"}]`).checked = true;
  showAddress();
  clearErrors();
  $("placed").hidden = true;
  $("checkout").hidden = false;
  renderCart();
  window.scrollTo(0, 0);
}

$("again").addEventListener("click", restart);

if (KIOSK) {
  let idle = null;
  const touched = () => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      if (state.cart.length || !$("placed").hidden || $("name").value) restart();
    }, IDLE_MS);
  };
  for (const type of ["pointerdown", "keydown", "input", "scroll"]) addEventListener(type, touched, { passive: true });
  touched();
}
renderCart();
