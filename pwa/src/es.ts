// Every text the app shows, in Spanish (es-CO). Labels of the domain's values follow
// campo-shared's `label()` functions word for word.

import type { Channel, EventKind, Mode, Outcome, Priority, Role, State } from "./schema"

/** Ends a sentence with a period, unless it already ends with one ("… 9:00 a. m."). */
function stop(text: string): string {
  return text.endsWith(".") ? text : `${text}.`
}

export const t = {
  appName: "Campo",
  loading: "Cargando…",
  back: "Volver",
  save: "Guardar",
  cancel: "Cancelar",
  yes: "Sí",
  no: "No",

  login: {
    title: "Ingresar a Campo",
    username: "Usuario",
    password: "Contraseña",
    submit: "Ingresar",
    working: "Ingresando…",
    offlineFirst:
      "Sin conexión. La primera vez debe ingresar con señal; después Campo abre sin conexión.",
    failed: "No se pudo ingresar. Revise su usuario y contraseña.",
    expired: "Su sesión venció. Ingrese de nuevo con conexión para seguir sincronizando.",
  },
  logout: {
    button: "Salir",
    unsynced: (pending: string) =>
      `Hay trabajo sin guardar en el servidor (${pending}). Si sale ahora, ` +
      "lo perderá de este teléfono. Conéctese y espere «Guardado en el servidor», o exporte una copia.",
    export: "Exportar una copia",
    insist: "Salir de todas formas",
  },

  sync: {
    offline: "Sin conexión",
    syncing: "Sincronizando",
    saved: "Guardado en el servidor",
    pending: (changes: number, photos: number) => {
      const parts: string[] = []
      if (changes > 0) parts.push(changes === 1 ? "1 cambio" : `${changes} cambios`)
      if (photos > 0) parts.push(photos === 1 ? "1 foto" : `${photos} fotos`)
      return parts.length === 0 ? "nada pendiente" : `${parts.join(" y ")} por enviar`
    },
    photoFailed: (n: number) =>
      n === 1 ? "1 foto no se pudo enviar; se reintentará" : `${n} fotos no se pudieron enviar; se reintentarán`,
    offlineGrant: (until: string) => `Uso sin conexión autorizado hasta ${until}.`,
  },

  update: {
    ready: "Hay una versión nueva de Campo.",
    reload: "Actualizar ahora",
    later: "Después",
  },

  nav: {
    label: "Secciones",
    agenda: "Agenda",
    myRequests: "Mis solicitudes",
    request: "Solicitar asistencia",
    board: "Tablero",
    intake: "Recepción",
    monthly: "Informe mensual",
    settings: "Ajustes",
  },

  // Officials: the request form, "Mis solicitudes" and the survey of a closed case.
  office: {
    myRequestsTitle: "Mis solicitudes",
    requestTitle: "Solicitar asistencia",

    // The request form.
    intro: "Cuéntenos qué pasa. Si no hay conexión, la solicitud queda en su teléfono y se envía sola después.",
    requester: "Solicitante",
    dependencia: "Dependencia",
    description: "¿Qué problema tiene? Descríbalo con sus palabras",
    descriptionHint: "Por ejemplo: «El computador no enciende y la luz parpadea en naranja».",
    category: "Tipo de problema",
    chooseCategory: "Elija el tipo de problema",
    equipment: "Equipo con el problema (opcional)",
    equipmentHint: "Marque el equipo en el inventario de su dependencia o escanee su adhesivo.",
    equipmentFilter: "Buscar equipo por código, tipo o ubicación",
    noInventory:
      "El inventario de su dependencia aún no está en el teléfono. Puede escanear el adhesivo del equipo; el inventario se descarga al tener conexión.",
    noMatch: "Ningún equipo coincide con la búsqueda.",
    notInInventory: "no está en el inventario de su dependencia; la coordinación lo revisará",
    scan: "Escanear el adhesivo del equipo",
    scanHint: "Apunte la cámara al código QR del adhesivo del equipo.",
    scanCancel: "Cerrar la cámara",
    scanned: (code: string) => `Equipo ${code} agregado a la solicitud.`,
    photos: "Fotos del problema (opcional)",
    location: "Oficina donde está (sede, piso, oficina)",
    extension: "Extensión telefónica (opcional)",
    submit: "Enviar solicitud",
    saving: "Guardando…",

    // "Mis solicitudes" and the detail of a request.
    empty: "Aún no ha pedido asistencia.",
    newRequest: "Solicitar asistencia",
    open: "En curso",
    finished: "Terminadas",
    fromCache: (when: string) => `Lista guardada en el teléfono (actualizada ${when}).`,
    noNumber: "Sin número aún",
    notSent: "Guardada en su teléfono; se enviará cuando haya conexión.",
    sent: "Enviada; pronto recibirá su número de caso.",
    news: "Novedad",
    surveyPending: "Encuesta pendiente",
    requestedOn: (when: string) => `Pedida el ${when}`,
    when: (date: string, time: string, one: boolean) => `${date} a ${one ? "la" : "las"} ${time}`,
    status: {
      registrada: "Recibida. La coordinación de la Secretaría TIC la revisará.",
      pendiente: "Aceptada. Pronto le asignaremos un técnico.",
      asignada: (who: string | null) => (who ? `${who} atenderá su solicitud.` : "Un técnico atenderá su solicitud."),
      en_atencion: (who: string | null) =>
        who ? `${who} está atendiendo su solicitud.` : "Un técnico está atendiendo su solicitud.",
      absent: (when: string | null) =>
        when ? `Vinimos y no estaba: volvemos el ${stop(when)}` : "Vinimos y no estaba: le avisaremos cuándo volvemos.",
      en_taller: "Su equipo está en el taller de la Secretaría TIC.",
      con_contratista: "Su equipo está con el proveedor externo para la reparación.",
      resuelta: "Resuelta. Cuéntenos cómo le fue en la encuesta.",
      resueltaAnswered: "Resuelta. Gracias por responder la encuesta.",
      cerrada: "Cerrada. Cuéntenos cómo le fue en la encuesta.",
      cerradaAnswered: "Cerrada. Gracias por responder la encuesta.",
      anulada: "Anulada.",
    },
    promise: "Tiempo máximo de atención",
    responseBy: "Primera respuesta a más tardar el",
    resolutionBy: "Solución a más tardar el",
    overdue: "(plazo vencido)",
    noPromise: "La coordinación fijará el tiempo máximo de atención al revisar su solicitud.",
    technician: "Técnico asignado",
    noTechnician: "Aún sin asignar",
    number: "Número de caso",
    requestSection: "Lo que pidió",
    visits: "Visitas",
    visitPresent: "Lo atendimos en su puesto",
    visitAbsent: "Vinimos y no estaba",
    visitOpen: "Visita en curso",
    noteLeft: "Nota que le dejamos",
    comeBack: (when: string) => `Volvemos el ${stop(when)}`,
    diagnosis: "Qué encontramos",
    actions: "Qué hicimos",
    tests: "Pruebas",
    outcome: {
      resolved: "Quedó resuelto.",
      workshop: "Su equipo se llevó al taller.",
      contractor: "Su equipo se envió al proveedor externo.",
      pending: "Queda pendiente otra visita.",
    },
    custody: (equipment: string, to: string, place: string) => `El equipo ${equipment} quedó con ${to} (${place}).`,
    report: "Cómo se resolvió",
    cancelReason: "Motivo",
    survey: "Responder la encuesta de satisfacción",
    surveyIntro: "Califique la atención que recibió. Su respuesta ayuda a mejorar el servicio.",
    surveyAnswered: (when: string) => `Encuesta respondida el ${when}`,
    supportTeam: "Secretaría TIC",
    comments: "Mensajes",
    commentLabel: "Escriba un mensaje para el técnico o la coordinación",
    addComment: "Enviar mensaje",
  },

  // Coordinators: the dispatch board.
  board: {
    title: "Tablero de despacho",
  },

  // Coordinators: intake of every channel and triage.
  intake: {
    title: "Recepción de solicitudes",
  },

  // Coordinators: SLA targets, working hours, users and dependencias.
  settings: {
    title: "Ajustes",
  },

  // Coordinators: the monthly report.
  monthly: {
    title: "Informe mensual",
  },

  agenda: {
    title: "Mi agenda",
    empty: "No tiene casos asignados.",
    newSince: "Nuevo",
    fromCache: (when: string) => `Agenda guardada en el teléfono (actualizada ${when}).`,
    noNumber: "Sin número aún",
    dueIn: (text: string) => `Vence en ${text} hábiles`,
    overdue: (text: string) => `Vencido hace ${text} hábiles`,
    resolutionDue: "Solución",
    responseDue: "Respuesta",
    newRequest: "Nueva solicitud en sitio",
    scan: "Escanear equipo",
    revisit: (when: string) => `Revisita programada: ${when}`,
  },

  ticket: {
    notAvailable:
      "Este caso no está en el teléfono y no hay conexión. Ábralo una vez con señal para tenerlo sin conexión.",
    request: "Solicitud",
    requester: "Solicitante",
    location: "Ubicación",
    extension: "Extensión",
    channel: "Canal",
    category: "Categoría",
    equipment: "Equipos",
    noEquipment: "Sin equipos registrados",
    history: "Historial",
    visits: "Visitas",
    photos: "Fotos",
    comments: "Comentarios",
    addComment: "Agregar comentario",
    commentPlaceholder: "Escriba un comentario",
    startVisit: "Iniciar visita",
    continueVisit: "Continuar la visita abierta",
    report: "Informe de cierre",
    survey: "Encuesta de satisfacción",
    scanEquipment: "Escanear equipo de este caso",
    flags: "Alertas para la coordinación",
    state: "Estado",
    priority: "Prioridad",
    noPriority: "Sin prioridad",
    present: "Funcionario presente",
    absent: "Funcionario ausente",
    noticeLeft: "Se dejó aviso",
    nextVisit: "Próxima visita",
    open: "Visita en curso",
    reportFiled: "Informe de cierre",
    surveyAnswered: "Encuesta respondida",
    scanned: (code: string, what: string) => `Equipo escaneado: ${code}${what ? ` (${what})` : ""}`,
    scannedUnknown: (code: string) => `Código escaneado, no está en el inventario: ${code}`,
  },

  visit: {
    question: "¿El funcionario está en su puesto?",
    absentTitle: "Usuario ausente",
    interventionTitle: "Intervención",
    photos: "Fotos de evidencia",
    addPhoto: "Tomar o elegir foto",
    photoRequired: "Tome al menos una foto del puesto.",
    note: "Nota dejada al funcionario",
    noticeLeft: "Se dejó un aviso escrito en el puesto",
    nextVisit: "Fecha y hora de la próxima visita",
    nextVisitRequired: "Indique cuándo volverá.",
    nextVisitPast: "La próxima visita debe ser en el futuro.",
    noteRequired: "Escriba la nota que dejó.",
    position: "Ubicación del teléfono",
    positionOk: (acc: number) => `Registrada (precisión ${Math.round(acc)} m)`,
    positionNone: "No disponible (permiso denegado o sin GPS)",
    saveAbsent: "Registrar usuario ausente",
    diagnosis: "Diagnóstico (falla confirmada)",
    actions: "Acciones realizadas",
    tests: "Pruebas realizadas y resultado mostrado al usuario",
    outcome: "Resultado",
    custodyTitle: "Custodia del equipo",
    custodyTo: "Quién lo recibe",
    custodyPlace: "A dónde va",
    custodyCondition: "Estado en que se entrega (marcas, piezas faltantes)",
    custodyEquipment: "Códigos de los equipos (separados por coma)",
    saveIntervention: "Finalizar visita",
    diagnosisRequired: "Escriba el diagnóstico.",
    actionsRequired: "Escriba las acciones realizadas.",
    testsRequired: "Escriba las pruebas y el resultado mostrado.",
    outcomeRequired: "Elija el resultado.",
    custodyToRequired: "Indique quién recibe el equipo.",
    custodyPlaceRequired: "Indique a dónde va el equipo.",
    custodyEquipmentRequired: "Indique al menos un código de equipo válido (p. ej. GN-000123).",
    saved: "Visita registrada en el teléfono.",
  },

  report: {
    title: "Informe de cierre",
    summary: "Qué problema había y qué se hizo",
    results: "Resultados verificados",
    submit: "Cerrar el caso",
    summaryRequired: "Escriba el resumen del caso.",
  },

  survey: {
    title: "Encuesta de satisfacción",
    intro: "Entregue el teléfono al funcionario para que responda.",
    questions: {
      timeliness: "¿La atención fue oportuna?",
      treatment: "¿Cómo fue el trato recibido?",
      solution: "¿Quedó solucionado su problema?",
    },
    scale: ["Muy malo", "Malo", "Regular", "Bueno", "Muy bueno"],
    comment: "Comentario (opcional)",
    submit: "Enviar encuesta",
    ratingRequired: "Califique de 1 a 5.",
    thanks: "¡Gracias por responder!",
  },

  scan: {
    title: "Escanear equipo",
    hint: "Apunte la cámara al código QR del adhesivo.",
    fromPhoto: "Leer el código desde una foto",
    typeCode: "O escriba el código",
    lookup: "Buscar",
    noCamera: "No se pudo abrir la cámara. Lea el código desde una foto o escríbalo.",
    notFound: (code: string) =>
      `El código ${code} no está en el catálogo guardado en el teléfono. Puede registrarlo en el caso y la coordinación lo revisará.`,
    notQr: "No se encontró un código QR en la imagen.",
    attach: "Registrar en el caso",
    again: "Escanear otro",
    attached: "Registrado en el caso.",
    catalogAge: (when: string) => `Catálogo de equipos del ${when}`,
    noCatalog: "El catálogo de equipos aún no está en el teléfono; conéctese una vez para descargarlo.",
    history: "Historial de casos de este equipo en el teléfono",
  },

  equipment: {
    title: "Equipo",
    kind: "Tipo",
    brandModel: "Marca y modelo",
    dependencia: "Dependencia",
    location: "Ubicación",
    status: "Estado",
    unknown: "Este equipo no está en el catálogo guardado en el teléfono.",
  },

  newRequest: {
    title: "Nueva solicitud en sitio",
    requesterName: "Nombre del funcionario",
    dependencia: "Dependencia",
    location: "Ubicación (sede, piso, oficina)",
    extension: "Extensión telefónica",
    category: "Categoría",
    description: "Descripción del problema",
    equipment: "Códigos de equipos (separados por coma)",
    submit: "Registrar solicitud",
    created: "Solicitud registrada en el teléfono; recibirá número al sincronizar.",
    chooseDependencia: "Elija la dependencia",
  },

  errors: {
    network: "No hay conexión con el servidor.",
    generic: "Algo salió mal. Intente de nuevo.",
    storage: "El navegador no permite guardar datos; Campo no funcionará sin conexión.",
  },
}

export const stateLabel: Record<State, string> = {
  registrada: "Registrada",
  pendiente: "Pendiente",
  asignada: "Asignada",
  en_atencion: "En atención",
  usuario_ausente: "Usuario ausente (revisita programada)",
  en_taller: "En taller",
  con_contratista: "Con contratista",
  resuelta: "Resuelta",
  cerrada: "Cerrada",
  anulada: "Anulada",
}

export const priorityLabel: Record<Priority, string> = { alta: "Alta", media: "Media", baja: "Baja" }

export const modeLabel: Record<Mode, string> = {
  phone: "Telefónica",
  on_site: "En sitio",
  workshop: "En taller",
}

export const channelLabel: Record<Channel, string> = {
  intranet: "Intranet",
  glpi: "GLPI",
  email: "Correo electrónico",
  phone: "Teléfono",
  field: "En sitio",
}

export const outcomeLabel: Record<Outcome, string> = {
  resolved: "Resuelto",
  workshop: "Enviado a taller",
  contractor: "Enviado al contratista",
  pending: "Pendiente",
}

export const roleLabel: Record<Role, string> = {
  funcionario: "Funcionario",
  tecnico: "Técnico",
  contratista: "Contratista externo",
  coordinador: "Coordinador",
}

export const eventLabel: Record<EventKind, string> = {
  registrada: "Registro",
  aceptada: "Aceptación",
  priorizada: "Priorización",
  asignada: "Asignación",
  visita_iniciada: "Inicio de visita",
  usuario_ausente: "Usuario ausente",
  visita_finalizada: "Fin de visita",
  enviada_taller: "Envío a taller",
  enviada_contratista: "Envío al contratista",
  equipo_devuelto: "Devolución del equipo",
  resuelta: "Solución en sitio",
  resuelta_telefono: "Solución telefónica",
  cerrada: "Cierre",
  anulada: "Anulación",
  reabierta: "Reapertura",
  duplicada: "Marcado como duplicado",
  encuesta_respondida: "Encuesta respondida",
}

export const categories = ["Hardware", "Software", "Impresoras", "Red", "Correo", "Telefonía", "Otro"]
