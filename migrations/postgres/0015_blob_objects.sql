-- Photo bytes in the database (CAMPO_PHOTO_STORE=database), so that replicas on several machines
-- read every photo: one row per object (`<sha256>/display.jpg`, `<sha256>/thumb.jpg`), written
-- once and never changed. Unused with CAMPO_PHOTO_STORE=files (the default): the files are then
-- in <CAMPO_DATA_DIR>/blobs/.
create table blob_objects (
    key text primary key,
    data bytea not null,
    created_at bigint not null
);
