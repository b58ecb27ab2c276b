INSERT INTO "user" ("id", "username", "email", "joined") VALUES (1, 'alice', 'alice@example.com', '2025-01-01 09:00:00');
INSERT INTO "user" ("id", "username", "email", "joined") VALUES (2, 'bob', 'bob@example.com', '2025-01-01 09:00:00');
INSERT INTO "product" ("name", "category", "price", "stock") VALUES ('USB-C cable', 'electronics', 999, 50);
INSERT INTO "product" ("name", "category", "price", "stock") VALUES ('Desk lamp', 'home', 2450, 3);
INSERT INTO "product" ("name", "category", "price", "stock") VALUES ('Mug', 'home', 10, 10);
INSERT INTO "cart_item" ("user_id", "product_id", "quantity") VALUES ((SELECT "id" FROM "user" WHERE "username" = 'alice'), 1, 2);
