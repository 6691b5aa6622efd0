-- Named queries of the order pipeline's backend modules (payments, inventory,
-- drivers, loyalty), loaded with the other backend/sql/*.sql files.

-- name: insert_payment
INSERT INTO payments (id, order_id, amount_cents, method, reference, created_at)
VALUES (:id, :order_id, :amount_cents, :method, :reference, :created_at);

-- name: payment_of_order
SELECT id, order_id, amount_cents, method, reference, created_at
FROM payments WHERE order_id = :order_id;

-- name: count_stock_movements
SELECT count(*) FROM stock_movements WHERE order_id = :order_id;

-- name: insert_stock_movement
INSERT INTO stock_movements (order_id, line, menu_item_id, taken, created_at)
VALUES (:order_id, :line, :menu_item_id, :taken, :created_at);

-- name: set_menu_item_stock
UPDATE menu_items SET stock = :stock WHERE id = :id;

-- name: least_busy_driver
-- The active driver with the fewest orders out for delivery now, then the fewest
-- deliveries ever, then by id, so that ties are decided the same way every time.
SELECT d.id, d.name, d.phone
FROM drivers d
LEFT JOIN driver_assignments a ON a.driver_id = d.id
LEFT JOIN orders o ON o.id = a.order_id
WHERE d.active = 1
GROUP BY d.id
ORDER BY count(CASE WHEN o.status = 'OUT_FOR_DELIVERY' THEN 1 END), count(a.order_id), d.id
LIMIT 1;

-- name: insert_driver_assignment
INSERT INTO driver_assignments (order_id, driver_id, assigned_at)
VALUES (:order_id, :driver_id, :assigned_at);

-- name: driver_of_order
SELECT d.id, d.name, d.phone
FROM driver_assignments a JOIN drivers d ON d.id = a.driver_id
WHERE a.order_id = :order_id;

-- name: get_loyalty_award
SELECT order_id, phone, points FROM loyalty_awards WHERE order_id = :order_id;

-- name: insert_loyalty_award
INSERT INTO loyalty_awards (order_id, phone, points, awarded_at)
VALUES (:order_id, :phone, :points, :awarded_at);

-- name: add_loyalty_points
INSERT INTO loyalty_accounts (phone, points, updated_at) VALUES (:phone, :points, :updated_at)
ON CONFLICT (phone) DO UPDATE SET points = points + excluded.points,
                                  updated_at = excluded.updated_at;

-- name: loyalty_balance
SELECT coalesce((SELECT points FROM loyalty_accounts WHERE phone = :phone), 0);
