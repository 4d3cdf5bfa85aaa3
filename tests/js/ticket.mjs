// A new Campo ticket document (schema version 1) as a plain JavaScript object, with the shape
// campo-shared's `TicketDoc::hydrate_from` reads and `validate_request` accepts: the request and
// its first event, `registrada`, authored by the user who registers it. Field and enum names are
// the wire names of shared/src/schema.rs; ids are lower-case hyphenated UUIDs (shared/src/ids.rs);
// times are milliseconds since the Unix epoch, UTC. Absent optional values are null, as the Rust
// side writes them.

// The channel the PWA records for each role that registers a ticket.
const CHANNEL_BY_ROLE = {
  funcionario: "intranet",
  tecnico: "field",
  contratista: "field",
  coordinador: "phone",
}

export function newTicket({ userId, userName, role, dependencia, description }) {
  const channel = CHANNEL_BY_ROLE[role]
  if (!channel) throw new Error(`unknown role ${role}`)
  return {
    schema: 1,
    request: {
      requester: { id: userId, name: userName },
      dependencia,
      location: "Edificio central, piso 3, oficina 301",
      phone_extension: "2301",
      channel,
      external_ref: null,
      category: "Impresora",
      description: description ?? "La impresora no enciende desde esta mañana.",
      equipment: ["GN-000123"],
      photos: [],
    },
    events: [
      {
        id: globalThis.crypto.randomUUID(),
        at: Date.now(),
        author: userId,
        author_role: role,
        kind: "registrada",
        data: {
          priority: null,
          mode: null,
          assignee: null,
          resolution_due: null,
          visit: null,
          next_visit_at: null,
          duplicate_of: null,
          reason: null,
        },
      },
    ],
    visits: [],
    report: null,
    survey: null,
    comments: [],
  }
}

// A comment as a technician appends it to `comments`.
export function newComment({ userId, text }) {
  return { id: globalThis.crypto.randomUUID(), author: userId, at: Date.now(), text }
}
