// Every text the app shows, in Spanish (es-CO). Labels of the domain's values follow
// campo-shared's `label()` functions word for word.

import domain from "./domain.json"
import type { ListKey, TextKey } from "./limits"
import type { Channel, EventKind, Mode, Outcome, Priority, Role, State } from "./schema"
import { officeTexts } from "./esOffice"

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
    connecting: "Conectando…",
    savedHere: "Guardado en este teléfono; se enviará al volver la conexión",
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
    notices: (n: number) => (n === 1 ? "1 aviso sobre su trabajo" : `${n} avisos sobre su trabajo`),
    offlineGrant: (until: string) => `Uso sin conexión autorizado hasta ${until}.`,
    refused: "Trabajo rechazado por el servidor",
    refusedCount: (changes: number, photos: number) => {
      const parts: string[] = []
      if (changes > 0) parts.push(changes === 1 ? "1 caso" : `${changes} casos`)
      if (photos > 0) parts.push(photos === 1 ? "1 foto" : `${photos} fotos`)
      // Agrees with what was refused: «1 foto rechazada», «2 casos rechazados», «1 caso y 1 foto rechazados».
      const plural = changes + photos > 1
      const feminine = changes === 0
      return `${parts.join(" y ")} rechazad${feminine ? "a" : "o"}${plural ? "s" : ""}`
    },
    open: "Ver pendientes",
  },

  // The outbox: what the phone has not yet saved on the server, and what the server refused.
  outbox: {
    title: "Bandeja de salida",
    intro:
      "Lo que este teléfono tiene por enviar al servidor. Mientras algo esté aquí sin «Guardado en el servidor», " +
      "no borre los datos del navegador ni cierre la sesión.",
    empty: "Nada pendiente: todo su trabajo está guardado en el servidor.",
    tickets: "Cambios en casos",
    photos: "Fotos",
    notes: "Avisos de la conexión",
    newTicket: "Caso nuevo",
    ticket: "Caso",
    understood: "Entendido",
    changes: (n: number) => (n === 1 ? "1 cambio sin confirmar" : `${n} cambios sin confirmar`),
    onPhone: "En el teléfono",
    sending: "Enviando",
    saved: "Guardado en el servidor",
    refused: (reason: string) => `Rechazado: ${reason}`,
    noReason: "el servidor no dio el motivo.",
    ticketRefused: (reason: string) =>
      `El servidor rechazó cambios de este caso hechos en este teléfono: ${stop(reason)} Revíselos en la bandeja de salida.`,
    refusedTicketHelp:
      "El servidor no aceptó estos cambios. Los cambios que haga después en este caso tampoco se podrán guardar " +
      "hasta que descarte los rechazados.",
    photoOf: (ticket: string) => `Foto de ${ticket}`,
    photoWithoutTicket: "Foto de una solicitud",
    open: "Abrir el caso",
    retry: "Reintentar",
    discard: "Descartar",
    discardTicket: "Descartar mis cambios de este caso",
    confirmDiscardTicket: (ticket: string) =>
      `¿Descartar los cambios de ${ticket} que están en este teléfono? Lo rechazado y todo lo que haya hecho ` +
      "en este caso sin guardar en el servidor se perderá; el teléfono volverá a tomar el caso como está en el servidor.",
    confirmDiscardNewTicket:
      "¿Descartar este caso nuevo? El servidor no lo tiene: la solicitud y todo lo registrado en ella se perderá.",
    confirmDiscardPhoto: "¿Descartar esta foto? Se borra del teléfono y el servidor nunca la tendrá.",
    confirm: "Sí, descartar",
    discardNeedsServer: "Para descartar, conéctese: el teléfono debe tomar de nuevo el caso del servidor.",
    willRetry: "No se pudo enviar; se reintentará sola.",
    dismiss: "Entendido",
  },

  photo: {
    notAnImage: (name: string) =>
      `«${name}» no es una foto (JPEG, PNG, WebP, HEIC o GIF). Tome la foto de nuevo o elija otra imagen.`,
    unsupported: (name: string) =>
      `El teléfono no pudo convertir «${name}» a JPEG y el servidor solo admite fotos JPEG, PNG o WebP. ` +
      "Tome la foto con la cámara de Campo o elija otra imagen.",
    remove: "Quitar foto",
    open: "Ver la foto en tamaño completo",
    full: "Foto en tamaño completo",
    close: "Cerrar la foto",
    removeOf: (n: number) => `Quitar la foto ${n}`,
    tooLarge: "La foto pesa más de lo que el servidor admite.",
    refusedStatus: (status: number) => `el servidor respondió ${status}.`,
  },

  limits: {
    count: (n: number, max: number) => `${n} de ${max} caracteres`,
    text: {
      description: "la descripción del problema",
      short_text: "este campo",
      comment: "el comentario",
      diagnosis: "el diagnóstico",
      actions: "las acciones realizadas",
      tests: "las pruebas",
      note: "la nota",
      reason: "el motivo",
      summary: "el resumen del informe",
      results: "los resultados del informe",
      survey_comment: "el comentario de la encuesta",
      condition: "el estado del equipo",
    } satisfies Record<TextKey, string>,
    lists: {
      events: "eventos",
      visits: "visitas",
      comments: "comentarios",
      evidence: "fotos por visita",
      request_photos: "fotos por solicitud",
      equipment: "equipos por solicitud",
    } satisfies Record<ListKey, string>,
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
    inbox: "Avisos",
    inboxUnread: "sin leer",
  },

  // The notification inbox («Avisos») and the e-mail outbox in Ajustes.
  inbox: {
    title: "Avisos",
    unread: "Nuevo",
    summary: (n: number) => (n === 0 ? "No tiene avisos sin leer." : n === 1 ? "1 aviso sin leer." : `${n} avisos sin leer.`),
    offline: "Sin conexión: estos son los avisos de la última vez.",
    markAll: "Marcar todos como leídos",
    empty: "Aún no tiene avisos.",
  },
  mailOutbox: {
    title: "Correo saliente",
    noSmtp: "No hay servidor de correo configurado (CAMPO_SMTP_URL): los avisos solo se ven en la aplicación.",
    summary: (pending: number, failing: number) =>
      pending === 0
        ? "No hay correos por enviar."
        : `${pending} ${pending === 1 ? "correo por enviar" : "correos por enviar"}${failing > 0 ? `, ${failing} con fallas` : ""}.`,
    waiting: "Por enviar",
    sent: "Enviados recientemente",
    to: "Para",
    subject: "Asunto",
    attempts: "Intentos",
    next: "Próximo intento",
    lastError: "Último error",
    sentAt: "Enviado",
    noneSent: "Aún no se ha enviado ningún correo.",
    refresh: "Actualizar",
  },

  // Officials: the request form, "Mis solicitudes" and the survey of a closed case.
  office: {
    myRequestsTitle: "Mis solicitudes",
    requestTitle: "Solicitar asistencia",

    // The request form.
    intro: "Cuéntenos qué pasa. Si no hay conexión, la solicitud queda guardada en este teléfono y se enviará al volver la conexión.",
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
    notSent: "Guardado en este teléfono; se enviará al volver la conexión.",
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
    live: "En vivo",
    connecting: "Reconectando…",
    loading: "Cargando el tablero…",
    filters: "Filtros del tablero",
    dependencia: "Dependencia",
    assignee: "Responsable",
    priority: "Prioridad",
    channel: "Canal",
    allDependencias: "Todas las dependencias",
    allAssignees: "Todos los responsables",
    allPriorities: "Todas las prioridades",
    allChannels: "Todos los canales",
    unassigned: "Sin asignar",
    noPriority: "Sin prioridad",
    clearFilters: "Quitar filtros",
    shown: (n: number, total: number) =>
      n === total ? (n === 1 ? "1 caso abierto" : `${n} casos abiertos`) : `${n} de ${total} casos abiertos`,
    workers: "Técnicos y contratistas",
    dropHint: "Arrastre un caso sobre una persona para asignárselo.",
    openTickets: (n: number) => (n === 1 ? "1 caso abierto" : `${n} casos abiertos`),
    lastContact: (ago: string) => `Último contacto hace ${ago}`,
    lastContactNow: "Último contacto hace un momento",
    neverContact: "Su teléfono no se ha conectado",
    noWorkers: "No hay técnicos ni contratistas activos. Créelos en Ajustes.",
    emptyColumn: "Sin casos",
    absentColumn: "Usuario ausente",
    age: (ago: string) => `Registrada hace ${ago}`,
    assignedTo: (name: string) => `Responsable: ${name}`,
    responseDue: (left: string) => `Respuesta: vence en ${left} hábiles`,
    responseOverdue: (ago: string) => `Respuesta: vencida hace ${ago} hábiles`,
    /** Overdue by less than a business minute (e.g. outside working hours right after the deadline). */
    responseOverdueNow: "Respuesta: vencida",
    resolutionDue: (left: string) => `Solución: vence en ${left} hábiles`,
    resolutionOverdue: (ago: string) => `Solución: vencida hace ${ago} hábiles`,
    resolutionOverdueNow: "Solución: vencida",
    paused: "Solución: plazo detenido mientras el usuario está ausente",
    nearDeadline: "Plazo próximo a vencer",
    contradiction: "Eventos contradictorios por revisar",
    formerAssignee: "Registrado por un técnico ya no asignado",
    absent: (n: number) => (n === 1 ? "Usuario ausente en una visita" : `Usuario ausente en ${n} visitas`),
    workshop: "Equipo en el taller",
    contractor: "Equipo con el contratista",
    custodyDays: (days: number) => (days === 1 ? "Fuera hace 1 día" : `Fuera hace ${days} días`),
    nextVisit: (when: string) => `Revisita: ${when}`,
    assignMenu: (number: string) => `Asignar ${number}`,
    assignPlaceholder: "Asignar a…",
    reassignPlaceholder: "Reasignar a…",
    assigning: (number: string) => `Asignando ${number}…`,
    assigned: (number: string, name: string) => `${number} quedó asignado a ${name}.`,
    refused: (number: string, why: string) => `No se pudo asignar ${number}: ${why}`,
  },

  // Coordinators: intake of every channel and triage.
  intake: {
    title: "Recepción de solicitudes",
    formTitle: "Registrar una solicitud recibida por teléfono, correo o GLPI",
    channel: "Canal",
    requester: "Funcionario que pide la asistencia",
    chooseRequester: "Elija el funcionario",
    requesterHint: "Si no aparece, créelo en Ajustes (usuarios).",
    externalRef: {
      phone: "Quién llamó (nombre y extensión)",
      email: "Correo de origen o asunto",
      glpi: "Número del ticket en GLPI",
    } as Record<"phone" | "email" | "glpi", string>,
    externalRefPlaceholder: {
      phone: "Llamada de la ext. 4512",
      email: "asunto o remitente del correo",
      glpi: "GLPI 20931",
    } as Record<"phone" | "email" | "glpi", string>,
    dependencia: "Dependencia",
    location: "Ubicación (sede, piso, oficina)",
    extension: "Extensión telefónica",
    category: "Categoría",
    chooseCategory: "Elija la categoría",
    description: "Descripción del problema",
    equipment: "Códigos de equipos (separados por coma)",
    submit: "Registrar solicitud",
    saving: "Registrando…",
    created: (number: string) => `Solicitud ${number} registrada.`,
    openCreated: "Abrir el caso para clasificarlo",
    requesterRequired: "Elija el funcionario que pide la asistencia.",
    externalRefRequired: {
      phone: "Escriba quién llamó.",
      email: "Escriba el correo de origen o el asunto.",
      glpi: "Escriba el número del ticket en GLPI.",
    } as Record<"phone" | "email" | "glpi", string>,
    categoryRequired: "Elija la categoría.",
    waitingTitle: "Por recibir",
    waitingHint: "Las solicitudes de la intranet y las registradas aquí llegan solas a esta lista.",
    waitingEmpty: "No hay solicitudes por recibir.",
    waitingAge: (ago: string) => `hace ${ago}`,

    // The triage panel of a ticket.
    panelTitle: "Coordinación",
    state: "Estado",
    mode: "Modalidad",
    priority: "Prioridad",
    assignee: "Responsable",
    received: "Recibida",
    responseDue: "Tiempo de atención",
    resolutionDue: "Tiempo de solución",
    responded: (when: string) => `Atendida el ${when}`,
    noDeadline: "Se calcula al fijar la prioridad",
    clockMet: (when: string, due: string) => `Cumplido: el ${when} (plazo: ${due})`,
    clockMissed: (when: string, due: string) => `Incumplido: el ${when} (plazo: ${due})`,
    clockRunning: (due: string, warn: string | null) => (warn ? `En curso: vence el ${due} (aviso el ${warn})` : `En curso: vence el ${due}`),
    pauses: "Reloj detenido",
    pause: (from: string, to: string | null) => (to ? `Usuario ausente: del ${from} al ${to}` : `Usuario ausente: desde el ${from}`),
    escalations: "Avisos enviados",
    escalation: {
      respuesta_aviso: "Atención por vencer",
      respuesta_vencido: "Atención vencida",
      solucion_aviso: "Solución por vencer",
      solucion_vencido: "Solución vencida",
    } as Record<string, string>,
    policy: "Política de tiempos",
    policyFirst: "La primera política de la oficina",
    policySince: (when: string) => `La vigente desde el ${when}, cuando se recibió el caso`,
    retriageReason: "Motivo del cambio de prioridad",
    retriageReasonRequired: "Escriba el motivo del cambio de prioridad: cambia los plazos prometidos.",
    chooseMode: "Elija la modalidad",
    choosePriority: "Elija la prioridad",
    accept: "Aceptar la solicitud",
    saveTriage: "Guardar prioridad y modalidad",
    unassigned: "Sin asignar",
    chooseAssignee: "Elija el responsable",
    assigneeChoice: "Técnico o contratista",
    technicians: "Técnicos de planta",
    contractors: "Contratistas externos",
    assign: "Asignar",
    reassign: "Reasignar",
    returnTitle: "Registrar devolución del equipo",
    returnNote: "Quién lo devolvió y en qué estado",
    returnSubmit: "Registrar devolución",
    phoneTitle: "Resolver por teléfono",
    phoneNote: "Cómo se resolvió",
    phoneSubmit: "Marcar resuelta por teléfono",
    outTitle: "Resolver sin esperar el equipo",
    outHint:
      "El equipo sigue fuera. Resuelva sin su devolución solo si no volverá a este caso (quedó en garantía, se dio de baja, se entregó otro); el inventario lo seguirá mostrando fuera hasta que vuelva.",
    outNote: "Cómo se resolvió",
    outReason: "Por qué se resuelve sin la devolución",
    outReasonRequired: "Escriba por qué se resuelve sin la devolución del equipo.",
    outSubmit: "Resolver con el equipo fuera",
    duplicateTitle: "Es un duplicado de otro caso",
    duplicateOf: "Número del caso original",
    duplicatePlaceholder: "SAT-2026-000123",
    duplicateReason: "Observación (opcional)",
    duplicateSubmit: "Marcar como duplicada",
    cancelTitle: "Anular",
    cancelReason: "Motivo de la anulación",
    cancelSubmit: "Anular el caso",
    reopenTitle: "Reabrir",
    reopenReason: "Motivo de la reapertura",
    reopenSubmit: "Reabrir el caso",
    reasonRequired: "Escriba el motivo.",
    noteRequired: "Escriba cómo se resolvió.",
    duplicateRequired: "Escriba el número del caso original.",
    identifyTitle: "Identificar al solicitante",
    identifyHint: (who: string) =>
      `La solicitud llegó de alguien que Campo no reconoce (${who}). Elija el funcionario que la pidió: el caso queda a su nombre y en su dependencia.`,
    identifyChoice: "Funcionario que pidió la asistencia",
    chooseOfficial: "Elija el funcionario.",
    identifySubmit: "Guardar solicitante",
    identified: "Solicitante identificado.",
    working: "Guardando…",
    done: {
      aceptada: "Solicitud aceptada.",
      priorizada: "Prioridad y modalidad guardadas.",
      asignada: "Responsable asignado.",
      resuelta_telefono: "Caso resuelto por teléfono.",
      duplicada: "Caso marcado como duplicado.",
      anulada: "Caso anulado.",
      reabierta: "Caso reabierto.",
    } as Record<string, string>,
  },

  // Coordinators' settings, integration tokens and the monthly report (esOffice.ts).
  ...officeTexts,

  agenda: {
    title: "Mi agenda",
    empty: "No tiene casos asignados.",
    newSince: "Nuevo",
    fromCache: (when: string) => `Agenda guardada en el teléfono (actualizada ${when}).`,
    noNumber: "Sin número aún",
    dueIn: (text: string) => `Vence en ${text} hábiles`,
    overdue: (text: string) => `Vencido hace ${text} hábiles`,
    overdueNow: "Vencido",
    resolutionDue: "Solución",
    responseDue: "Respuesta",
    newRequest: "Nueva solicitud en sitio",
    scan: "Escanear equipo",
    revisit: (when: string) => `Revisita programada: ${when}`,
  },

  push: {
    label: "Avisos en este teléfono",
    enable: "Recibir avisos en este teléfono",
    working: "Activando los avisos…",
    on: "Este teléfono recibe un aviso cuando le asignan un caso, aunque Campo esté cerrado.",
    disable: "Dejar de recibir avisos",
    denied:
      "Los avisos de Campo están bloqueados en este navegador (permiso denegado). Para recibirlos, " +
      "permita las notificaciones de este sitio en la configuración del navegador y vuelva a abrir Campo.",
    unsupported:
      "Este navegador no puede recibir avisos con Campo cerrado. En Android use Chrome o Firefox; " +
      "en iPhone, agregue Campo a la pantalla de inicio.",
    insecure: "Los avisos solo funcionan cuando Campo se abre con una dirección https://.",
    failed: "No se pudieron activar los avisos. Intente de nuevo en un momento.",
    dismissed: "No se activaron los avisos: el navegador no recibió respuesta al permiso. Toque de nuevo para intentarlo.",
    offline: "Sin conexión: los avisos se activan con señal.",
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
    returnEquipment: "Registrar devolución del equipo",
    resolveRemotely: "Resolver sin visita (remoto o por teléfono)",
    acta: "Acta de servicio (PDF)",
    custodyOut: (days: number) => (days === 1 ? "Equipo fuera hace 1 día" : `Equipo fuera hace ${days} días`),
    returned: "Devolución del equipo",
    flagged: "sin efecto: el caso no lo permitía en ese momento; el coordinador lo revisa",
    flaggedReturn: "sin efecto: el equipo ya no estaba en el taller ni con el contratista",
    equipmentOutReason: (why: string) => `equipo sin devolver: ${why}`,
    surveyBy: (official: string, author: string) => `respondida por ${official}, en el teléfono de ${author}`,
    signedBy: (name: string, when: string) => `Firmado por ${name} el ${when}`,
    signerAbsent: "El funcionario no estaba en el puesto para firmar.",
    visitEquipment: "Equipos atendidos",
    scanned: (code: string, what: string) => `Equipo escaneado: ${code}${what ? ` (${what})` : ""}`,
    scannedUnknown: (code: string) => `Código escaneado, no está en el inventario: ${code}`,
    /** Someone whose name this phone never learnt (it asks the server when it can). */
    someone: "Alguien",
  },

  custody: {
    returnTitle: "Devolución del equipo",
    returnIntro: (holder: string, place: string) =>
      `El equipo está con ${holder || "el taller o el contratista"}${place ? ` (${place})` : ""}. Registre quién lo devuelve y a dónde vuelve.`,
    from: "Quién lo devuelve",
    fromRequired: "Indique quién devuelve el equipo.",
    place: "A dónde vuelve",
    placeRequired: "Indique a dónde vuelve el equipo.",
    condition: "Estado en que se recibe (marcas, piezas faltantes)",
    save: "Registrar devolución",
    remoteTitle: "Solución sin visita",
    remoteIntro: "Registre lo que se hizo de forma remota o por teléfono; el caso quedará resuelto.",
    remoteReason: "Qué se hizo",
    remoteReasonRequired: "Escriba qué se hizo para resolverlo.",
    remoteSave: "Registrar solución",
  },

  signature: {
    title: "Firma del funcionario",
    intro: "Muestre la solución al funcionario y pídale que firme con el dedo.",
    canvas: "Espacio para la firma del funcionario",
    clear: "Borrar firma",
    signer: "Nombre de quien firma",
    signerRequired: "Escriba el nombre de quien firma.",
    absent: "El funcionario no está en el puesto para firmar",
    required: "Pida la firma del funcionario o marque que no está en el puesto.",
    unreadable: "No se pudo guardar la firma en el teléfono; inténtelo de nuevo.",
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
    custodyToLabel: "quién recibe el equipo",
    custodyPlaceLabel: "a dónde va el equipo",
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
    saved: "Guardado en este teléfono; se enviará al volver la conexión.",
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
    // The questions and the 1–5 scale are campo-shared's (`SurveyAnswers::QUESTIONS` and `SCALE`),
    // the words the monthly report and its exports use.
    questions: {
      timeliness: domain.survey.questions[0]!,
      treatment: domain.survey.questions[1]!,
      solution: domain.survey.questions[2]!,
    },
    scale: domain.survey.scale,
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
    attach: "Vincular al caso",
    startVisitFirst: "Inicie la visita del caso para vincular el equipo.",
    again: "Escanear otro",
    attached: "Equipo vinculado al caso.",
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
    created: "Guardado en este teléfono; se enviará al volver la conexión.",
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
  resuelta_telefono: "Solución remota o telefónica",
  cerrada: "Cierre",
  anulada: "Anulación",
  reabierta: "Reapertura",
  duplicada: "Marcado como duplicado",
  encuesta_respondida: "Encuesta respondida",
}

/**
 * The request categories until the phone has heard the server's (GET /api/settings/categories,
 * which a coordinator edits in Ajustes): the server's own defaults, `DEFAULT_CATEGORIES` in
 * server/src/store/settings.rs.
 */
export const DEFAULT_CATEGORIES: readonly string[] = ["Hardware", "Software", "Impresoras", "Red", "Correo", "Telefonía", "Otro"]

/** Equipment kinds as the inventory names them (`Kind` of server/src/equipment/model.rs). */
const EQUIPMENT_KINDS: Record<string, string> = {
  computador: "Computador",
  portatil: "Portátil",
  impresora: "Impresora",
  escaner: "Escáner",
  monitor: "Monitor",
  ups: "UPS",
  red: "Red",
  telefono: "Teléfono",
  otro: "Otro",
}

/** Where an item is as far as custody goes (`Status` of server/src/equipment/model.rs). */
const EQUIPMENT_STATUSES: Record<string, string> = {
  en_servicio: "En servicio",
  en_taller: "En taller",
  con_contratista: "Con contratista",
  dado_de_baja: "Dado de baja",
}

export function equipmentKindLabel(kind: string): string {
  return EQUIPMENT_KINDS[kind] ?? kind
}

export function equipmentStatusLabel(status: string): string {
  return EQUIPMENT_STATUSES[status] ?? status
}
