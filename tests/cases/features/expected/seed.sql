INSERT INTO "member" ("id", "name", "email") VALUES (1, 'Ada', 'ada@example.com');
INSERT INTO "member" ("id", "name", "email") VALUES (2, 'Bo', 'bo@example.com');
INSERT INTO "item" ("active", "id", "price", "sku", "tags", "title", "weight") VALUES (1, 1, 1999, 'ABC-1', '["tools", "heavy"]', 'Anvil', 1.5);
INSERT INTO "item" ("active", "id", "price", "sku", "tags", "title", "weight") VALUES (1, 2, 450, 'ABC-2', '["tools"]', 'Bucket', 1.5);
INSERT INTO "item" ("active", "id", "price", "sku", "tags", "title", "weight") VALUES (0, 3, 10, 'XYZ-9', '[]', 'Crate', 1.5);
INSERT INTO "item" ("active", "id", "price", "sku", "tags", "title", "weight") VALUES (1, 4, 20, 'XYZ-7', '["misc"]', 'Dial', 1.5);
INSERT INTO "note" ("key", "body", "member_id") VALUES ('welcome', 'hello', (SELECT "id" FROM "member" WHERE "email" = 'bo@example.com'));
