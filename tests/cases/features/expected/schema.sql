CREATE TABLE "item" ("id" INTEGER PRIMARY KEY, "sku" TEXT NOT NULL UNIQUE CHECK (LENGTH("sku") >= 3) CHECK (LENGTH("sku") <= 20), "title" TEXT NOT NULL, "price" INTEGER NOT NULL CHECK ("price" >= 0) CHECK ("price" <= 1000000), "tags" TEXT NOT NULL, "meta" TEXT, "weight" REAL NOT NULL DEFAULT 1.5, "active" INTEGER NOT NULL DEFAULT 1 CHECK ("active" IN (0, 1)));
CREATE INDEX "ix_item_title" ON "item"("title");
CREATE TABLE "member" ("id" INTEGER PRIMARY KEY, "name" TEXT NOT NULL, "email" TEXT NOT NULL UNIQUE);
CREATE TABLE "note" ("key" TEXT PRIMARY KEY, "body" TEXT NOT NULL, "member_id" INTEGER REFERENCES "member" ("id") ON DELETE SET NULL);
CREATE INDEX "ix_note_member_id" ON "note"("member_id");
CREATE TABLE "order_line" ("id" INTEGER PRIMARY KEY, "purchase_id" INTEGER NOT NULL REFERENCES "purchase" ("id") ON DELETE CASCADE, "item_id" INTEGER NOT NULL REFERENCES "item" ("id") ON DELETE RESTRICT, "position" INTEGER NOT NULL, "quantity" INTEGER NOT NULL CHECK (("quantity" > 0)), UNIQUE ("purchase_id", "position"));
CREATE INDEX "ix_order_line_item_id" ON "order_line"("item_id");
CREATE TABLE "purchase" ("id" INTEGER PRIMARY KEY, "member_id" INTEGER NOT NULL REFERENCES "member" ("id") ON DELETE CASCADE, "total" INTEGER NOT NULL, "paid_with" TEXT NOT NULL, "created" TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, "due" TEXT);
CREATE INDEX "ix_purchase_member_id" ON "purchase"("member_id");
