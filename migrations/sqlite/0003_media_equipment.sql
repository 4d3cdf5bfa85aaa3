-- Evidence photos and the equipment inventory. Timestamps are Unix milliseconds (UTC).

-- One row per photo, named by the SHA-256 of the bytes the phone sent. The bytes of the stored
-- sizes live in the blob store (files in the data directory by default), not here.
create table blobs (
    sha256 text primary key,
    format text not null check (format in ('jpeg', 'png', 'webp')),
    width integer not null,
    height integer not null,
    original_bytes integer not null,
    display_bytes integer not null,
    thumb_bytes integer not null,
    uploaded_by text not null references users (id),
    created_at integer not null
);

-- Everyone who sent the bytes of a photo (and so already had it): until ticket access decides,
-- they and the coordinators may read it.
create table blob_uploaders (
    sha256 text not null references blobs (sha256) on delete cascade,
    user_id text not null references users (id),
    created_at integer not null,
    primary key (sha256, user_id)
);

create table equipment (
    code text primary key,
    kind text not null,
    brand text not null default '',
    model text not null default '',
    serial text not null default '',
    dependencia text references dependencias (code),
    location text not null default '',
    custodian_id text references users (id),
    custodian_name text not null default '',
    status text not null check (status in ('en_servicio', 'en_taller', 'con_contratista', 'dado_de_baja')),
    notes text not null default '',
    created_at integer not null,
    updated_at integer not null
);
create index equipment_dependencia on equipment (dependencia);

-- Custody moves recorded in the inventory: every change of status (to the workshop, to a
-- contractor, back in service), who made it and when.
create table equipment_moves (
    id integer primary key autoincrement,
    code text not null references equipment (code),
    from_status text,
    to_status text not null,
    note text not null default '',
    by_user text references users (id),
    at integer not null
);
create index equipment_moves_code on equipment_moves (code, id);
