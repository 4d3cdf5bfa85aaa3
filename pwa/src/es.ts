// Every text the app shows, in Spanish (es-CO). Labels of the domain's values follow
// campo-shared's `label()` functions word for word.

import type { Channel, EventKind, Mode, Outcome, Priority, Role, State } from "./schema"

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
    period: "Periodo",
    byMonth: "Un mes",
    byRange: "Rango de fechas",
    month: "Mes",
    from: "Desde",
    to: "Hasta",
    filters: "Filtros",
    dependencia: "Dependencia",
    category: "Categoría",
    channel: "Canal",
    assignee: "Técnico o contratista",
    priority: "Prioridad",
    any: "Todas",
    anyone: "Todos",
    contractor: (name: string) => `${name} (contratista)`,
    show: "Ver informe",
    loading: "Preparando el informe…",
    // Checks before asking the server (it gives the same answers).
    missingMonth: "Elija el mes del informe.",
    missingDates: "Indique las dos fechas del rango: desde y hasta.",
    inverted: "La fecha inicial es posterior a la final: inviértalas.",
    tooLong: (days: number) => `El periodo tiene ${days} días; un informe cubre como máximo 366. Elija un rango menor.`,
    filtered: (text: string) => `Filtros: ${text}.`,
    unfinished: (when: string) => `El periodo no ha terminado: cifras al ${when}.`,
    downloads: "Descargar",
    pdf: "PDF",
    xlsx: "XLSX (Excel)",
    csvDetail: "CSV del detalle",
    csvGeneral: "CSV de las cifras generales",
    general: "Cifras generales",
    figure: "Cifra",
    change: "Cambio",
    received: "Solicitudes recibidas",
    receivedShort: "Recibidas",
    count: "Cantidad",
    resolved: "Resueltas",
    closed: "Cerradas",
    cancelled: "Anuladas",
    openAtEnd: "Abiertas al cierre",
    carriedOver: "Traídas de periodos anteriores",
    visits: "Visitas",
    absentVisits: "Visitas con usuario ausente",
    revisits: "Revisitas",
    responseOnTime: "Respuestas a tiempo (%)",
    resolutionOnTime: "Soluciones a tiempo (%)",
    satisfactionAverage: "Satisfacción promedio (1 a 5)",
    charts: "Gráficos",
    openChart: "Abrir el gráfico (SVG)",
    byDependencia: "Por dependencia",
    byCategory: "Por categoría",
    byChannel: "Por canal",
    byPriority: "Por prioridad",
    byAssignee: "Por técnico o contratista",
    none: "Sin casos en el periodo.",
    modes: "Solución por modalidad",
    mode: "Modalidad",
    tickets: "Casos",
    modeLabels: { phone: "Telefónica", on_site: "En sitio", workshop: "En taller", contractor: "Por contratista" },
    sla: "Cumplimiento de los tiempos de atención (ANS)",
    slaKind: "Plazo",
    response: "Respuesta",
    resolution: "Solución",
    onTime: "A tiempo",
    late: "Tarde",
    rate: "% a tiempo",
    overdueOpen: "Abiertos con el plazo vencido",
    average: "Promedio (horas hábiles)",
    median: "Mediana (horas hábiles)",
    slaNote:
      "Horas hábiles desde la priorización. La solución no cuenta la espera por un usuario ausente " +
      "cuando los ajustes de ANS detienen el reloj, igual que su plazo.",
    fieldWork: "Visitas y equipos",
    workshopSends: "Equipos enviados a taller",
    contractorSends: "Equipos enviados al contratista",
    returns: "Equipos devueltos",
    satisfaction: "Satisfacción",
    answered: (answered: number, eligible: number, rate: string) =>
      `${answered} de ${eligible} casos resueltos respondieron la encuesta (${rate}).`,
    question: "Pregunta",
    answers: "Promedio (1 a 5)",
    group: "Grupo",
    eligible: "Resueltas",
    surveyed: "Encuestas",
    responseRate: "% respuesta",
    overall: "Promedio",
    satisfactionByAssignee: "Satisfacción por técnico o contratista",
    satisfactionByDependencia: "Satisfacción por dependencia",
    detail: "Detalle",
    detailCount: (shown: number, total: number) =>
      shown === total ? `${total} casos.` : `Se muestran ${shown} de ${total} casos.`,
    showMore: "Mostrar más",
    columns: {
      number: "Número",
      created: "Registro",
      requester: "Solicitante",
      dependencia: "Dependencia",
      equipment: "Equipos",
      category: "Categoría",
      channel: "Canal",
      priority: "Prioridad",
      assignee: "Responsable",
      state: "Estado",
      visits: "Visitas (con usuario ausente)",
      resolved: "Solución",
      resolution: "Modalidad",
      responseSla: "ANS respuesta",
      resolutionSla: "ANS solución",
      hours: "Horas hábiles hasta la solución",
      survey: "Encuesta (P1 · P2 · P3)",
    },
    slaOutcome: {
      on_time: "A tiempo",
      late: "Tarde",
      pending: "En plazo",
      overdue: "Vencida",
      not_applicable: "No aplica",
    },
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
