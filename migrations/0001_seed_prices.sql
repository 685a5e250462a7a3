-- A fresh database has plan `basic` (200 included orders a month) and example prices (øre, excl. VAT).
INSERT INTO plans (code, name, included_orders, monthly_price, extra_order_price, currency) VALUES
  ('basic', 'Basic', 200, 19900, 150, 'DKK'),
  ('plus', 'Plus', 1000, 49900, 100, 'DKK'),
  ('pro', 'Pro', 5000, 149900, 60, 'DKK');
--> statement-breakpoint
INSERT INTO prices (id, top_up_tiers, technician_half_hour_price, currency) VALUES
  (1, '[{"minOrders":1,"unitPrice":150},{"minOrders":500,"unitPrice":120},{"minOrders":2000,"unitPrice":90},{"minOrders":10000,"unitPrice":60}]', 45000, 'DKK');
