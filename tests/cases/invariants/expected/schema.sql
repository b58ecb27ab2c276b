CREATE TABLE "cart" ("id" INTEGER PRIMARY KEY, "user_id" INTEGER NOT NULL REFERENCES "user" ("id") ON DELETE RESTRICT);
CREATE INDEX "ix_cart_user_id" ON "cart"("user_id");
CREATE TABLE "order" ("id" INTEGER PRIMARY KEY, "user_id" INTEGER NOT NULL REFERENCES "user" ("id") ON DELETE RESTRICT, "status" TEXT NOT NULL DEFAULT 'pending' CHECK ("status" IN ('pending', 'paid', 'cancelled')), "total" INTEGER NOT NULL);
CREATE INDEX "ix_order_user_id" ON "order"("user_id");
CREATE TABLE "order_item" ("id" INTEGER PRIMARY KEY, "order_id" INTEGER NOT NULL REFERENCES "order" ("id") ON DELETE CASCADE, "product_id" INTEGER NOT NULL REFERENCES "product" ("id") ON DELETE RESTRICT, "quantity" INTEGER NOT NULL, "unit_price" INTEGER NOT NULL);
CREATE INDEX "ix_order_item_order_id" ON "order_item"("order_id");
CREATE INDEX "ix_order_item_product_id" ON "order_item"("product_id");
CREATE TABLE "product" ("id" INTEGER PRIMARY KEY, "name" TEXT NOT NULL, "stock" INTEGER NOT NULL);
CREATE TABLE "user" ("id" INTEGER PRIMARY KEY, "name" TEXT NOT NULL);
