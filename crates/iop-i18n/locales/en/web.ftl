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
solicitudes-filtros = List filters
solicitudes-filtro-tipo = Kind
solicitudes-todos = All
solicitudes-filtro-unidad = Requesting unit
solicitudes-filtro-codigo = Code (or part)
solicitudes-filtro-desde = Created from
solicitudes-filtro-hasta = Created until
col-unidad = Unit
col-creada = Created
solicitudes-todas = All
solicitudes-filtrar = Filter
solicitudes-vacia = No requests to show.
col-actualizada = Last change
nav-nueva = New request
nueva-titulo = New request
nueva-tipo = What you request
nueva-parte-consumo = Consumption
nueva-parte-consumo-ayuda = Fill in this part if you request to consume services.
nueva-parte-publicacion = Publication
nueva-parte-publicacion-ayuda = Fill in this part if you request to publish new services; leave unused rows blank.
nueva-entidad = Publishing entity
nueva-servicio-n = Service to publish { $n }
nueva-pub-codigo = Code (lower case, e.g. “consulta-nit”)
nueva-pub-version = Version (a number)
nueva-pub-nombre = Name
nueva-pub-descripcion = Description (optional)
nueva-resumen = The request is kept as a draft with its supporting document; submit it from its page (step 1).
nueva-sistema = Beneficiary system
nueva-sistema-propuesto-ayuda = Is the system not in the list? Leave “Choose…” and propose it: ADAS registers it when enabling the access (step 4).
nueva-sistema-nombre = Name of the proposed system
nueva-sistema-proposito = What it is for (e-government tool or technological solution)
nueva-elija = Choose…
nueva-servicios = Services to consume
nueva-justificacion = Justification
nueva-documento-tipo = Kind of supporting document
nueva-archivo = Supporting document (PDF)
nueva-crear = Create the draft
documento-NI = Internal memo (NI)
documento-NTA = Technical adhesion norm (NTA)
documento-IL = Legal report (IL)
nav-contrasena = Change password
contrasena-titulo = Change your password
contrasena-actual = Current password
contrasena-nueva = New password (12 to 256 characters)
contrasena-repetida = Repeat the new password
contrasena-boton = Change the password
contrasena-ayuda = Changing it ends all your sessions; log in again with the new one.
contrasena-no-coinciden = The two new passwords differ.
contrasena-cambiada = Your password changed. Log in with the new one.
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
resumen-titulo = Procedure overview
resumen-por-estado = Requests by state
resumen-cantidad = Count
resumen-lideres = Load of the ADAS team leaders
resumen-abiertas = Open requests assigned
resumen-vencidas = Overdue, by who must act
resumen-quien = Who
resumen-sin-vencidas = No overdue requests.
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
solicitud-accesos = Accesses delivered (step 4)
acceso-pendiente = waiting for the requesting unit to retrieve them (until { $fecha })
acceso-retirado = retrieved by '{ $quien }' at { $fecha }
acceso-vencido = not retrieved in time; erased at { $fecha }
acceso-aviso-retiro = The credentials are shown once, to whoever retrieves them, and then erased from the platform.
acceso-retirar = Retrieve the credentials
credenciales-titulo = Retrieved credentials
credenciales-aviso = Copy these secrets now and keep them somewhere safe: they will not be shown again.
credenciales-clave = API key ('apikey' header)
credenciales-iss = JWT issuer ('iss')
credenciales-secreto = Secret to sign the JWT with (HS256)
credenciales-volver = Back to the request
copiar = Copy
copiar-hecho = Copied
copiar-seleccionado = Selected: copy it with Ctrl+C
paso4-accesos = Accesses to grant to the beneficiary system
paso4-desde = Valid from (empty: today)
paso4-hasta = Valid until (empty: open-ended)
paso4-limite = Calls per second (empty: no limit)
paso4-rafaga = Burst (calls at once)
paso4-emitir = Credentials to issue for the requesting unit
paso4-apikey = API key
paso4-jwt = JWT signed with HS256
paso4-pub-titulo = Preparing the publication (step 4)
paso4-pub-ayuda = For each service: save its connector, upload its OpenAPI description (optional for services without OpenAPI) and probe the connection. “Enable” publishes what was prepared.
paso4-pub-conector = Connector
paso4-pub-conector-resumen = Path { $ruta } → { $origenes } ({ $autenticacion })
paso4-pub-sin-conector = No connector yet.
paso4-pub-origenes = Origin URLs (one per line)
paso4-pub-ruta-base = Base path on the gateway (blank: the one the rule gives)
paso4-pub-conexion-ms = Connect timeout in ms (blank: 3000)
paso4-pub-espera-ms = Response timeout in ms (blank: 10000)
paso4-pub-auth = Authentication to the origin
paso4-pub-auth-nombre = Header name or user
paso4-pub-auth-valor = Value, password or token (stored encrypted; blank: type it again)
paso4-pub-guardar-conector = Save the connector
paso4-pub-descripcion = OpenAPI description
paso4-pub-descripcion-resumen = SHA-256 { $sha }… — { $n ->
        [one] 1 operation
       *[other] { $n } operations
    }
paso4-pub-sin-descripcion = No description yet.
paso4-pub-archivo = Description: OpenAPI 3.0, 3.1 or Swagger 2.0 in JSON or YAML, or a zip or tar.gz archive of several files (up to 24 MiB)
paso4-pub-entrada = Main file inside the zip or tar.gz (optional if it is called openapi.yaml or is the only one)
paso4-pub-informe = Import report: warnings and what was not imported
paso4-pub-subir = Upload the description
paso4-pub-probar = Probe the connection
paso4-prueba-ok = Connection succeeded ({ $fecha })
paso4-prueba-falla = Connection failed ({ $fecha })
paso4-prueba-origen-ok = { $origen }: answered { $estado } in { $ms } ms
paso4-prueba-origen-falla = { $origen }: { $error }
paso4-pub-sin-prueba = No connection probe yet.
paso4-pub-aplicada = Published on { $fecha }
paso4-publicar = Services to publish
preparado-conector = Connector saved. Probe the connection before enabling.
preparado-descripcion = Description saved.
preparado-prueba = Connection probe recorded.
preparado-clave = Public key registered: tell the beneficiary system its issuer (“iss”).
paso4-claves-titulo = Public keys of the beneficiary system (JWT RS256/ES256)
paso4-claves-ayuda = If the system signs its JWTs with its own private key, register its public key here; no secret is issued.
paso4-clave-registrada = { $tipo }: issuer “{ $iss }”, registered on { $fecha }
paso4-clave-tipo = Algorithm
paso4-clave-pem = Public key (PEM, “-----BEGIN PUBLIC KEY-----”)
paso4-clave-registrar = Register the public key
credencial-apikey = API key
credencial-jwt_hs256 = JWT HS256
credencial-jwt_rs256 = JWT RS256
credencial-jwt_es256 = JWT ES256
auth-ninguna = no authentication
auth-cabecera = own header
auth-basica = HTTP Basic
auth-bearer = Bearer token
auth-certificado_cliente = client certificate
solicitud-sistema = Beneficiary system
solicitud-sistema-propuesto = Proposed system
solicitud-propuesto-texto = { $nombre } — { $proposito } (registered at step 4)
paso4-sistema-titulo = Register the proposed system (step 4)
paso4-sistema-ayuda = The request proposes a system that is not in the catalog: register it under its consuming entity before granting it access.
paso4-sistema-entidad = Consuming entity
paso4-sistema-codigo = The system's code in the catalog
paso4-sistema-registrar = Register the system
preparado-sistema = System registered: the request names it as the beneficiary.
firmada-huella = File SHA-256 fingerprint
firmada-archivada = Filed by { $nombre } on { $fecha } (a copy of version { $revision }).
firmada-descargar = Download the signed note (PDF)
firmada-archivo = Digitally signed note (PDF)
firmada-ayuda = Upload the approved note's PDF signed with the digital-signature client: it becomes the definitive version, its fingerprint shown on the public verification page.
firmada-boton = File the signed note
preparado-borrador = Draft of the Nota Interna saved.
nota-guardar-borrador = Save draft
nota-borrador-ayuda = The draft is saved as you type; you will find it here when you come back.
nota-borrador-guardado = Draft saved at
nota-borrador-no-guardado = The draft could not be saved.
preparado-firmada = Signed note filed as the definitive version.
solicitud-servicios = Services requested
solicitud-entidad = Publishing entity
solicitud-publicaciones = Services to publish
cuatro-ojos-titulo = Why you cannot approve
nota-titulo = Nota Interna
nota-numero = { $numero } (revision { $revision })
nota-actividades = Activities carried out
nota-recomendaciones = Recommendations
nota-huella = SHA-256 fingerprint of what is approved:
solicitud-openapi = OpenAPI description of what was granted
acceso-documentacion = Access documentation
acceso-doc-ayuda = What this system may call, how to authenticate and how to try it. It holds no secret: where one is needed it says <SU_CLAVE_DE_API>, <ISS> or <SU_SECRETO>.
acceso-doc-sistema = Consuming system
acceso-doc-unidad = Requesting unit
acceso-doc-solicitud = Request (PR05)
acceso-doc-fecha = Date
acceso-doc-credenciales = Credentials
acceso-doc-autenticacion = Authentication
acceso-doc-auth-apikey = API key: the header
acceso-doc-auth-jwt = JWT HS256: the header Authorization: Bearer <JWT>, signed with <SU_SECRETO>, with iss = <ISS> and exp:
acceso-doc-produccion = Production
acceso-doc-sandbox = Sandbox
acceso-doc-vigencia = Validity
acceso-doc-limite = Limit
acceso-doc-sin-limite = no limit of its own
acceso-doc-metodo = Method
acceso-doc-ruta = Path
acceso-doc-operacion = Operation
acceso-doc-probar = To try it (the sandbox answers with the description's examples, no real data):
acceso-doc-errores = The gateway's error codes
acceso-doc-codigo = Code
acceso-doc-estado = HTTP status
acceso-doc-significado = Meaning
acceso-doc-volver = Back to the request
acceso-documentacion-pdf = Download the access documentation (PDF)
hoja-de-ruta-descargar = Download the routing slip (PDF)
nota-descargar-pdf = Download the Nota Interna (PDF)
nota-vista-previa = Preview of the Nota Interna
nota-vista-previa-ayuda = This is how the note will read; it is not saved yet. Its number is given on confirming.
nota-ver-vista-previa = Preview
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

verificar-titulo = Document verification
verificar-codigo-titulo = Verification code
verificar-intro = Type the code printed at the foot of the Nota Interna (or scan its QR code) to see its status and check that a copy is authentic.
verificar-codigo-etiqueta = Code
verificar-codigo-boton = Verify
verificar-nota = Nota Interna with code
verificar-cite = CITE
verificar-fecha = Date
verificar-asunto = Subject
verificar-estado = Status
verificar-aprobaciones = Approvals of the current version
verificar-sin-aprobaciones = This version has no approvals yet.
verificar-paso = Step
verificar-cargo = Post
verificar-nombre = Name
verificar-cuando = Date and time
verificar-huellas = SHA-256 fingerprints
verificar-huellas-ayuda = A copy is authentic if its fingerprint is one of these: each version's content (what is approved), each PDF the platform issued and the signed copy filed as definitive.
verificar-version-contenido = Version { $revision }: content
verificar-version-pdf = Version { $revision }: PDF { $etapa }
verificar-version-firmada = Version { $revision }: signed PDF (definitive)
verificar-coincide-firmada = Match: it is the signed copy of version { $revision } of this note, filed as definitive.
verificar-firmada = Definitive signed version
verificar-firma-firmante = Signer (certificate)
verificar-firma-emisor = Issued by
verificar-firma-vigencia = Certificate validity
verificar-firma-vigencia-valor = from { $desde } to { $hasta }
verificar-firma-resumen = Integrity
verificar-firma-integra = The signed digest matches the file's content.
verificar-firma-alterada = The signed digest does NOT match the file's content.
verificar-firma-parcial = The signed digest matches what was signed, but the file has content added after the signature.
verificar-firma-ayuda = Read from the file's digital signature; the platform does not validate the certificate with the certification authority.
verificar-comprobar = Check a copy
verificar-hash-etiqueta = SHA-256 fingerprint
verificar-hash-boton = Check the fingerprint
verificar-archivo-etiqueta = or the PDF file
verificar-archivo-boton = Check the file
verificar-resumen-presentado = Fingerprint presented:
verificar-coincide-contenido = Match: this is the content of version { $revision } of this note.
verificar-coincide-pdf = Match: this is the PDF of version { $revision } of this note ({ $etapa }).
verificar-no-coincide = No match with any version of this note or any PDF issued of it: this copy is not authentic or belongs to another document.
verificar-aviso = This page shows only what is needed to verify the document; no account is required.
verificacion-estado-en_revision = Under revision (sent back for changes)
verificacion-estado-elaborada = Written; waiting for ADAS's approval
verificacion-estado-aprobada_adas = Approved by ADAS; waiting for UPAT's approval
verificacion-estado-aprobada_upat = Approved; waiting for the requesting unit to receive it
verificacion-estado-recibida = Approved and received: in force
verificacion-estado-anulada = Annulled
verificacion-etapa-elaborada = as written
verificacion-etapa-aprobada_adas = after ADAS's approval
verificacion-etapa-aprobada_upat = after UPAT's approval
nav-cites = CITE register
cites-titulo = CITE register of the year
cites-ayuda = Every number given to a Nota Interna in the year, in the order given. A number whose request was later rejected or withdrawn is annulled and never given again.
cites-filtro = Year of the register
cites-gestion = Year
cites-ver = Show
cites-vacio = No number was given this year.
cites-resumen = { $n ->
        [one] 1 number given
       *[other] { $n } numbers given
    }, { $anulados ->
        [0] none annulled
        [one] 1 annulled
       *[other] { $anulados } annulled
    }.
cites-anulado = ANNULLED
col-cite = CITE
col-solicitud = Request
col-asignado = Given
col-autor = Drafted by
verificar-suplencia = { $rol } a.i. (in place of { $suplido })
historial-suplencia = { $nombre } ({ $rol } a.i., in place of { $suplido })
renovacion-titulo = Renewal
renovacion-ayuda = To keep using what was enabled after it ends, ask for its renewal: a new request is created for the same system and services, and it follows procedure PR05 with its own supporting document.
renovacion-boton = Ask for the renewal
nav-informe = Management report
informe-titulo = Management report
informe-ayuda = Computed from each request's history on { $fecha }. Days are working days (no weekends nor configured holidays); median and p90 are by nearest rank.
informe-csv = Download the report (CSV)
informe-pasos = Time in each step
informe-pasos-ayuda = A stay is the time a request spent in the step; it counts as overdue if it ended at or after its deadline, or is still open past it.
informe-meses = Per month
informe-personas = Per person (stays they ended by acting)
informe-estados = Requests per state and kind
informe-vacio = No data yet.
informe-col-paso = Step
informe-col-plazo = Deadline
informe-col-terminadas = Ended
informe-col-abiertas = Open
informe-col-mediana = Median (working days)
informe-col-p90 = p90 (working days)
informe-col-vencidas = Overdue
informe-col-mes = Month
informe-col-presentadas = Presented
informe-col-cerradas = Closed
informe-col-recibidas = Received
informe-col-persona = Person
informe-col-solicitudes = Requests
nav-avisos = Notices
avisos-titulo = E-mail notices
avisos-ayuda = The platform writes to you when a request waits for you; to your unit, when a request is returned, rejected or has accesses ready, when an enablement is about to end and when a service it consumes gets a new version or is deprecated; and, if you choose, a digest of overdue requests each working day. No notice holds a secret.
avisos-correo = E-mail address (empty: no notices)
avisos-tipos = I want to receive
avisos-tipo-turno = When a request waits for an action of mine
avisos-tipo-observacion = When a request of my unit is returned or rejected
avisos-tipo-accesos = When my unit's accesses are ready to retrieve
avisos-tipo-vencimiento = When an enablement of my unit (or that I granted) is about to end
avisos-tipo-cambios = When a service my unit consumes (or that I enabled) gets a new version or becomes deprecated
avisos-tipo-resumen = The daily digest of overdue requests waiting for me (to the heads of UPAT and ADAS, all)
avisos-boton = Save
avisos-guardado = Notice preferences saved.
aviso-turno-asunto = Request { $codigo }: your turn — «{ $siguiente }»
aviso-turno-cuerpo = Request { $codigo } moved to «{ $estado }»: { $accion }, by { $actor }.

    Your turn now: { $siguiente }.
    Comment: { $comentario }

    { $enlace }

    Interoperability Platform — procedure PR05. Choose which notices you receive under «Notices».
aviso-observacion-asunto = Request { $codigo }: { $estado }
aviso-observacion-cuerpo = Request { $codigo } moved to «{ $estado }»: { $accion }, by { $actor }.

    Comment: { $comentario }

    { $enlace }

    Interoperability Platform — procedure PR05. Choose which notices you receive under «Notices».
aviso-accesos-asunto = Request { $codigo }: accesses ready to retrieve
aviso-accesos-cuerpo = The credentials request { $codigo } enabled are ready for a requester of your unit to retrieve on the platform, once, until { $vence }.

    This notice holds no secret: credentials are only shown on the platform.

    { $enlace }

    Interoperability Platform — procedure PR05. Choose which notices you receive under «Notices».
aviso-resumen-asunto = Overdue requests on { $fecha }: { $n }
aviso-resumen-cuerpo = Requests past their deadline, waiting for an action:

    { $lista }

    { $enlace }

    Interoperability Platform — procedure PR05. Choose which notices you receive under «Notices».
aviso-vencimiento-asunto = Enablement about to end: { $sistema } → { $servicio } (until { $hasta })
aviso-vencimiento-cuerpo = The enablement request { $codigo } gave system { $sistema } for service { $servicio } ends on { $hasta }. After that day the gateway refuses its calls (habilitacion_vencida).

    To go on, the requesting unit asks for its renewal on the request's page, and it follows procedure PR05.

    { $enlace }

    Interoperability Platform — procedure PR05. Choose which notices you receive under «Notices».
aviso-cambios-asunto = Service { $servicio } becomes deprecated on { $desde }
aviso-cambios-cuerpo = Service { $servicio }, which your system consumes, was marked deprecated from { $desde }; its retirement: { $retiro }. From that day its answers carry the Deprecation and Sunset headers.

    Plan the move to its new version: its consumption is requested through procedure PR05.

    Interoperability Platform — procedure PR05. Choose which notices you receive under «Notices».
aviso-nueva-version-asunto = New version published: { $servicio }
aviso-nueva-version-cuerpo = Version { $servicio }, successor of the one your system consumes, was published on the Interoperability Platform. The version you use stays enabled until it is marked deprecated; consuming the new one is requested through procedure PR05.

    { $enlace }

    Interoperability Platform — procedure PR05. Choose which notices you receive under «Notices».
