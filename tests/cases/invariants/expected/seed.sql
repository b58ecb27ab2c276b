INSERT INTO "user" ("id", "name") VALUES (1, 'a');
INSERT INTO "product" ("id", "name", "stock") VALUES (1, 'p', 3);
INSERT INTO "order" ("id", "user_id", "total", "status") VALUES (1, 1, 500, 'pending');
INSERT INTO "order_item" ("order_id", "product_id", "quantity", "unit_price") VALUES (1, 1, 2, 250);
