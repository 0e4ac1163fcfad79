# Texts of the web interface, in English.
app-nombre = Interoperability Platform
app-procedimiento = Procedure PR05 — Consumption and/or Publication of Interoperability Services
saltar-al-contenido = Skip to content
nav-bandeja = Inbox
nav-solicitudes = Requests
buscar-etiqueta = Find a request by its tracking code
buscar-boton = Search
buscar-sin-resultado = '{ $q }' was not found: { $motivo }
solicitudes-titulo = Requests
solicitudes-filtro-estado = State
solicitudes-todas = All
solicitudes-filtrar = Filter
solicitudes-vacia = No requests to show.
col-actualizada = Last change
nav-nueva = New request
nueva-titulo = New consumption request
nueva-resumen = The request is kept as a draft with its supporting document; submit it from its page (step 1).
nueva-sistema = Beneficiary system
nueva-elija = Choose…
nueva-servicios = Services to consume
nueva-justificacion = Justification
nueva-documento-tipo = Kind of supporting document
nueva-archivo = Supporting document (PDF)
nueva-crear = Create the draft
documento-NI = Internal memo (NI)
documento-NTA = Technical adhesion norm (NTA)
documento-IL = Legal report (IL)
nav-salir = Log out
nav-sesion = Signed in as { $nombre }
idioma-cambiar = Español
idioma-cambiar-titulo = View in Spanish

ingresar-titulo = Log in
ingresar-usuario = User name
ingresar-contrasena = Password
ingresar-boton = Log in
ingresar-ayuda = Use the account the platform's administrator gave you.

bandeja-titulo = Inbox
bandeja-resumen = Requests waiting for you to act, oldest first.
bandeja-vacia = No request is waiting for you.
bandeja-siguiente = Next page
col-codigo = Code
col-tipo = Kind
col-estado = State
col-como = As
col-espera = Waiting since
col-dias = Age
dias-habiles = { $n ->
        [0] under 1 working day
        [1] 1 working day
       *[other] { $n } working days
    }
col-vence = Due
marca-vencida = Overdue
marca-a-tiempo = On time
sin-plazo = No deadline

solicitud-titulo = Request { $codigo }
solicitud-datos = Request details
solicitud-tipo = Kind
solicitud-estado = State
solicitud-espera-a = Waiting for
espera-nadie = Nobody: the request is closed
solicitud-desde = In this state since
solicitud-justificacion = Justification
solicitud-documento = Supporting document
solicitud-sin-documento = No supporting document
solicitud-historial = Document progress
solicitud-historial-vacio = The request has no movements yet.
solicitud-acciones = Available actions
solicitud-sin-acciones = You have no action available on this request right now.
solicitud-comentario = Comment
solicitud-comentario-requerido = Comment (required: give the reason)
solicitud-lider = ADAS team leader
solicitud-devolver-a = Return to
solicitud-nota-cuerpo = Nota Interna: activities carried out
solicitud-nota-recomendaciones = Recommendations (optional)
solicitud-confirmar = Confirm
solicitud-hecho = Action recorded: { $accion }.
hist-fecha = Date
hist-quien = Who
hist-accion = Action
hist-de = From
hist-a = To
hist-comentario = Comment

error-titulo = The action could not be completed
error-csrf = The form expired or is not from this session; please try again.
error-no-encontrada = No such page.
error-volver = Back to the inbox

estado-borrador = Draft
estado-presentada = Submitted
estado-derivada_adas = Forwarded to ADAS
estado-asignada_lider = Assigned to a team leader
estado-habilitada = Enabled
estado-nota_elaborada = Nota Interna written
estado-nota_aprobada_adas = Nota Interna approved by ADAS
estado-nota_aprobada_upat = Nota Interna approved by UPAT
estado-recibida = Received
estado-observada = Returned with observations
estado-rechazada = Rejected
estado-desistida = Withdrawn

accion-presentar = Submit
accion-derivar = Forward to ADAS
accion-asignar = Assign to a team leader
accion-reasignar = Reassign
accion-habilitar = Enable
accion-ajustar_habilitacion = Adjust the enablement
accion-elaborar_nota = Write the Nota Interna
accion-aprobar_nota_adas = Approve the Nota Interna (ADAS)
accion-aprobar_nota_upat = Approve the Nota Interna (UPAT)
accion-recibir = Receive
accion-observar = Return with observations
accion-subsanar = Correct and resubmit
accion-rechazar = Reject
accion-desistir = Withdraw

rol-solicitante = Requester
rol-jefe_upat = Head of UPAT
rol-responsable_adas = Head of ADAS
rol-lider_adas = ADAS team leader
rol-administrador = Administrator

tipo-consumo = Consumption
tipo-publicacion = Publication
tipo-consumo_publicacion = Consumption and publication
