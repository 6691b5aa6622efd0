// The order status page (/orders/<id>?token=<accessToken>): the order live through the
// order(id) subscription. Every message is the whole order as it is now, so after a
// reload, a dropped connection or a phone waking up, the first message is the current
// state: nothing is missed, and the progress line is drawn from it.
import { follow, h, liveClient, money, request } from "./api.js";

const FIELDS = `id number status fulfillment statusReason totalCents customerName notes updatedAt
  allergens items { name quantity unitPriceCents notes allergens modifiers { name } }`;
const LIVE = `subscription Follow($id: ID!) { order(id: $id) { ${FIELDS} } }`;
const READ = `query Read($id: ID!) { order(id: $id) { ${FIELDS} } }`;

const $ = (id) => document.getElementById(id);
// The API's allergen names as a guest reads them ("TREE_NUTS": "Tree nuts").
const allergy = (name) => name.charAt(0) + name.slice(1).toLowerCase().replace(/_/g, " ");
const allergies = (names) => `Allergies: ${names.map(allergy).join(", ")}`;
const orderId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
const token = new URLSearchParams(location.search).get("token");

// The progress line, per fulfillment; the step each status stands on.
const LAST = { TAKEAWAY: "Collected", DINE_IN: "Served", DELIVERY: "Delivered" };
function steps(fulfillment) {
  const line = ["Placed", "Paid", "In the kitchen", "Ready"];
  if (fulfillment === "DELIVERY") line.push("Out for delivery");
  line.push(LAST[fulfillment] || "Collected");
  return line;
}
function stepOf(status, fulfillment) {
  const last = steps(fulfillment).length - 1;
  return {
    PLACED: 0, VALIDATED: 0, PAID: 1, IN_KITCHEN: 2, READY: 3, OUT_FOR_DELIVERY: 4, COMPLETED: last,
  }[status];
}
const HEADLINES = {
  PLACED: "We have your order and are checking it.",
  VALIDATED: "Your order is checked; taking the payment.",
  PAID: "Paid. It is going to the kitchen.",
  IN_KITCHEN: "The kitchen is making it.",
  READY: { TAKEAWAY: "Ready! Collect it at the counter.", DINE_IN: "Ready! It is coming to your table.", DELIVERY: "Ready, waiting for a driver." },
  OUT_FOR_DELIVERY: "On its way to you.",
  COMPLETED: { TAKEAWAY: "Collected. Enjoy your meal!", DINE_IN: "Served. Enjoy your meal!", DELIVERY: "Delivered. Enjoy your meal!" },
};
// Rejected, declined or cancelled: why, and what the customer can do now.
const STOPPED = {
  REJECTED: ["We could not accept this order.", "Nothing was charged. Please order again, or ask at the counter."],
  PAYMENT_FAILED: ["The payment did not go through.", "Nothing was charged. Please order again with another card, or pay at the counter."],
  CANCELLED: ["The restaurant cancelled this order.", "Please ask at the counter; they will help you."],
};

let shownAt = ""; // updatedAt of the state shown: a late answer never draws an older one

function render(order) {
  if (order.updatedAt < shownAt) return;
  shownAt = order.updatedAt;
  $("problem").hidden = true;
  $("order").hidden = false;
  document.title = `Order ${order.number}`;
  $("number").textContent = String(order.number);
  const stopped = STOPPED[order.status];
  const headline = HEADLINES[order.status];
  $("headline").textContent = stopped ? stopped[0] : typeof headline === "string" ? headline : headline[order.fulfillment];
  $("order").dataset.status = order.status;
  $("reason").hidden = !stopped;
  if (stopped) {
    $("reason-why").textContent = order.statusReason ? `Why: ${order.statusReason}` : stopped[0];
    $("reason-todo").textContent = stopped[1];
  }
  const at = stopped ? -1 : stepOf(order.status, order.fulfillment);
  $("progress").replaceChildren(
    ...steps(order.fulfillment).map((name, index) => {
      const done = index < at || (index === at && order.status === "COMPLETED");
      const cls = done ? "done" : index === at ? "current" : "todo";
      return h("li", { class: cls, "aria-current": index === at ? "step" : null },
        h("span", { class: "dot", "aria-hidden": "true" }),
        h("span", {}, name),
        h("span", { class: "sr-only" }, done ? " (done)" : index === at ? " (now)" : ""),
      );
    }),
  );
  $("items").replaceChildren(
    ...order.items.map((item) =>
      h("li", { class: "line" },
        h("div", { class: "line-head" },
          h("span", { class: "item-name" }, `${item.quantity} × ${item.name}`),
          h("span", { class: "price" }, money(item.quantity * item.unitPriceCents)),
        ),
        item.modifiers.length ? h("p", { class: "muted" }, item.modifiers.map((m) => m.name).join(", ")) : null,
        item.notes ? h("p", { class: "muted" }, item.notes) : null,
        item.allergens.length ? h("p", { class: "allergies-note" }, allergies(item.allergens)) : null,
      ),
    ),
  );
  $("total").textContent = money(order.totalCents);
  $("extra").textContent = order.notes || "";
  $("allergies").textContent = order.allergens.length ? `${allergies(order.allergens)} (the whole order)` : "";
  $("allergies").hidden = !order.allergens.length;
}

function problem(message) {
  $("problem").textContent = message;
  $("problem").hidden = false;
}

function refused(error) {
  if (error.code === "FORBIDDEN" || error.code === "UNAUTHENTICATED") {
    $("order").hidden = true;
    problem("This link does not open this order. Use the link you got when you placed it.");
  } else if (error.code === "NOT_FOUND") {
    problem("There is no such order. Check the link, or ask at the counter.");
  } else if (error.code !== "NETWORK") {
    problem(error.message);
  }
}

if (!orderId || !token) {
  problem("This link is incomplete: open the one you got when you placed your order.");
} else {
  const client = liveClient(token, (state) => {
    $("connection").textContent = state === "live" ? "Live" : "Reconnecting…";
    $("connection").dataset.state = state;
  });
  follow(client, LIVE, { id: orderId }, (data) => data.order && render(data.order), refused);
  // A phone that slept may hold a socket that is dead without knowing it yet: read the
  // order at once, and let the socket reconnect behind it.
  const refresh = async () => {
    try {
      const data = await request(READ, { id: orderId }, token);
      if (data.order) render(data.order);
    } catch (error) {
      refused(error);
    }
  };
  document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && refresh());
  addEventListener("online", refresh);
}
