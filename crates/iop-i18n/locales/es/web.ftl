# Textos de la interfaz web, en español (Bolivia).
app-nombre = Plataforma de Interoperabilidad
app-procedimiento = Procedimiento PR05 — Consumo y/o Publicación de Servicios de Interoperabilidad
saltar-al-contenido = Saltar al contenido
nav-bandeja = Bandeja
nav-solicitudes = Solicitudes
buscar-etiqueta = Buscar una solicitud por su código de seguimiento
buscar-boton = Buscar
buscar-sin-resultado = No se encontró «{ $q }»: { $motivo }
solicitudes-titulo = Solicitudes
solicitudes-filtro-estado = Estado
solicitudes-filtros = Filtros de la lista
solicitudes-filtro-tipo = Tipo
solicitudes-todos = Todos
solicitudes-filtro-unidad = Unidad solicitante
solicitudes-filtro-codigo = Código (o parte)
solicitudes-filtro-desde = Creada desde
solicitudes-filtro-hasta = Creada hasta
col-unidad = Unidad
col-creada = Creada
solicitudes-todas = Todas
solicitudes-filtrar = Filtrar
solicitudes-vacia = No hay solicitudes que mostrar.
col-actualizada = Último cambio
nav-nueva = Nueva solicitud
nueva-titulo = Nueva solicitud
nueva-tipo = Qué solicita
nueva-parte-consumo = Consumo
nueva-parte-consumo-ayuda = Llene esta parte si solicita consumir servicios.
nueva-parte-publicacion = Publicación
nueva-parte-publicacion-ayuda = Llene esta parte si solicita publicar servicios nuevos; deje vacías las filas que no use.
nueva-entidad = Entidad publicadora
nueva-servicio-n = Servicio a publicar { $n }
nueva-pub-codigo = Código (minúsculas, p. ej. «consulta-nit»)
nueva-pub-version = Versión (número)
nueva-pub-nombre = Nombre
nueva-pub-descripcion = Descripción (opcional)
nueva-resumen = La solicitud queda como borrador con su documento de respaldo; preséntela desde su página (paso 1).
nueva-sistema = Sistema beneficiario
nueva-sistema-propuesto-ayuda = ¿El sistema no está en la lista? Déjela en «Elija…» y propóngalo: ADAS lo registra al habilitar el acceso (paso 4).
nueva-sistema-nombre = Nombre del sistema propuesto
nueva-sistema-proposito = Para qué sirve (herramienta de gobierno electrónico o solución tecnológica)
nueva-elija = Elija…
nueva-servicios = Servicios que solicita consumir
nueva-justificacion = Justificación
nueva-documento-tipo = Tipo de documento de respaldo
nueva-archivo = Documento de respaldo (PDF)
nueva-crear = Crear el borrador
documento-NI = Nota Interna (NI)
documento-NTA = Norma Técnica de Adhesión (NTA)
documento-IL = Informe Legal (IL)
nav-contrasena = Cambiar contraseña
contrasena-titulo = Cambiar su contraseña
contrasena-actual = Contraseña actual
contrasena-nueva = Contraseña nueva (de 12 a 256 caracteres)
contrasena-repetida = Repita la contraseña nueva
contrasena-boton = Cambiar la contraseña
contrasena-ayuda = Al cambiarla se cierran todas sus sesiones; vuelva a iniciar sesión con la nueva.
contrasena-no-coinciden = Las dos contraseñas nuevas no coinciden.
contrasena-cambiada = Su contraseña cambió. Inicie sesión con la nueva.
nav-salir = Cerrar sesión
nav-sesion = Sesión de { $nombre }
idioma-cambiar = English
idioma-cambiar-titulo = Ver en inglés

ingresar-titulo = Iniciar sesión
ingresar-usuario = Usuario
ingresar-contrasena = Contraseña
ingresar-boton = Ingresar
ingresar-ayuda = Use la cuenta que le asignó el Administrador de la plataforma.

bandeja-titulo = Bandeja
bandeja-resumen = Solicitudes que esperan una acción suya, la más antigua primero.
bandeja-vacia = No hay solicitudes esperando una acción suya.
bandeja-siguiente = Página siguiente
resumen-titulo = Resumen del procedimiento
resumen-por-estado = Solicitudes por estado
resumen-cantidad = Cantidad
resumen-lideres = Carga de los Líderes de equipo de ADAS
resumen-abiertas = Solicitudes abiertas asignadas
resumen-vencidas = Vencidas, por quién debe actuar
resumen-quien = Quién
resumen-sin-vencidas = Ninguna solicitud vencida.
col-codigo = Código
col-tipo = Tipo
col-estado = Estado
col-como = Como
col-espera = Espera desde
col-dias = Antigüedad
dias-habiles = { $n ->
        [0] menos de 1 día hábil
        [1] 1 día hábil
       *[other] { $n } días hábiles
    }
col-vence = Vence
marca-vencida = Vencida
marca-a-tiempo = A tiempo
sin-plazo = Sin plazo

solicitud-titulo = Solicitud { $codigo }
solicitud-datos = Datos de la solicitud
solicitud-tipo = Tipo
solicitud-estado = Estado
solicitud-espera-a = Espera a
espera-nadie = Nadie: la solicitud está cerrada
solicitud-desde = En este estado desde
solicitud-justificacion = Justificación
solicitud-documento = Documento de respaldo
solicitud-sin-documento = Sin documento de respaldo
solicitud-accesos = Accesos entregados (paso 4)
acceso-pendiente = pendiente de retiro por la unidad solicitante (hasta { $fecha })
acceso-retirado = retirado por «{ $quien }» el { $fecha }
acceso-vencido = no se retiró a tiempo; se borró el { $fecha }
acceso-aviso-retiro = Las credenciales se muestran una sola vez a quien las retire, y luego se borran de la plataforma.
acceso-retirar = Retirar las credenciales
credenciales-titulo = Credenciales retiradas
credenciales-aviso = Copie y guarde ahora estos secretos en un lugar seguro: no se volverán a mostrar.
credenciales-clave = Clave de API (cabecera «apikey»)
credenciales-iss = Emisor del JWT («iss»)
credenciales-secreto = Secreto para firmar el JWT (HS256)
credenciales-volver = Volver a la solicitud
copiar = Copiar
copiar-hecho = Copiado
copiar-seleccionado = Seleccionado: cópielo con Ctrl+C
paso4-accesos = Accesos a otorgar al sistema beneficiario
paso4-desde = Vigente desde (vacío: hoy)
paso4-hasta = Vigente hasta (vacío: sin fin)
paso4-limite = Llamadas por segundo (vacío: sin límite)
paso4-rafaga = Ráfaga (llamadas de una vez)
paso4-emitir = Credenciales a emitir para la unidad solicitante
paso4-apikey = Clave de API
paso4-jwt = JWT firmado con HS256
paso4-pub-titulo = Preparación de la publicación (paso 4)
paso4-pub-ayuda = Para cada servicio: guarde su conector, suba su descripción OpenAPI (opcional para servicios sin OpenAPI) y pruebe la conexión. «Habilitar» publica lo preparado.
paso4-pub-conector = Conector
paso4-pub-conector-resumen = Ruta { $ruta } → { $origenes } ({ $autenticacion })
paso4-pub-sin-conector = Sin conector todavía.
paso4-pub-origenes = URL de origen (una por línea)
paso4-pub-ruta-base = Ruta base en la pasarela (vacío: la que corresponde por regla)
paso4-pub-conexion-ms = Plazo de conexión en ms (vacío: 3000)
paso4-pub-espera-ms = Plazo de respuesta en ms (vacío: 10000)
paso4-pub-auth = Autenticación ante el origen
paso4-pub-auth-nombre = Nombre de la cabecera o usuario
paso4-pub-auth-valor = Valor, contraseña o token (se guarda cifrado; vacío: vuelva a escribirlo)
paso4-pub-guardar-conector = Guardar el conector
paso4-pub-descripcion = Descripción OpenAPI
paso4-pub-descripcion-resumen = SHA-256 { $sha }… — { $n ->
        [one] 1 operación
       *[other] { $n } operaciones
    }
paso4-pub-sin-descripcion = Sin descripción todavía.
paso4-pub-archivo = Descripción: OpenAPI 3.0, 3.1 o Swagger 2.0 en JSON o YAML, o un archivo zip o tar.gz con varios archivos (hasta 24 MiB)
paso4-pub-entrada = Archivo principal dentro del zip o tar.gz (opcional si se llama openapi.yaml o es el único)
paso4-pub-informe = Informe de importación: avisos y lo que no se importó
paso4-pub-subir = Subir la descripción
paso4-pub-probar = Probar conexión
paso4-prueba-ok = Conexión correcta ({ $fecha })
paso4-prueba-falla = La conexión falló ({ $fecha })
paso4-prueba-origen-ok = { $origen }: respondió { $estado } en { $ms } ms
paso4-prueba-origen-falla = { $origen }: { $error }
paso4-pub-sin-prueba = Sin prueba de conexión todavía.
paso4-pub-aplicada = Publicado el { $fecha }
paso4-publicar = Servicios a publicar
preparado-conector = Conector guardado. Pruebe la conexión antes de habilitar.
preparado-descripcion = Descripción guardada.
preparado-prueba = Prueba de conexión registrada.
preparado-clave = Clave pública registrada: comunique al sistema beneficiario su emisor («iss»).
paso4-claves-titulo = Claves públicas del sistema beneficiario (JWT RS256/ES256)
paso4-claves-ayuda = Si el sistema firma sus JWT con su propia clave privada, registre aquí su clave pública; no se emite ningún secreto.
paso4-clave-registrada = { $tipo }: emisor «{ $iss }», registrada el { $fecha }
paso4-clave-tipo = Algoritmo
paso4-clave-pem = Clave pública (PEM, «-----BEGIN PUBLIC KEY-----»)
paso4-clave-registrar = Registrar la clave pública
credencial-apikey = Clave de API
credencial-jwt_hs256 = JWT HS256
credencial-jwt_rs256 = JWT RS256
credencial-jwt_es256 = JWT ES256
auth-ninguna = sin autenticación
auth-cabecera = cabecera propia
auth-basica = HTTP Basic
auth-bearer = token Bearer
auth-certificado_cliente = certificado de cliente
solicitud-sistema = Sistema beneficiario
solicitud-sistema-propuesto = Sistema propuesto
solicitud-propuesto-texto = { $nombre } — { $proposito } (se registra en el paso 4)
paso4-sistema-titulo = Registrar el sistema propuesto (paso 4)
paso4-sistema-ayuda = La solicitud propone un sistema que no está en el catálogo: regístrelo bajo su entidad consumidora antes de otorgarle accesos.
paso4-sistema-entidad = Entidad consumidora
paso4-sistema-codigo = Código del sistema en el catálogo
paso4-sistema-registrar = Registrar el sistema
preparado-sistema = Sistema registrado: la solicitud lo nombra como beneficiario.
firmada-huella = Huella SHA-256 del archivo
firmada-archivada = Archivada por { $nombre } el { $fecha } (copia de la versión { $revision }).
firmada-descargar = Descargar la nota firmada (PDF)
firmada-archivo = Nota firmada digitalmente (PDF)
firmada-ayuda = Suba el PDF de la nota aprobada firmado con el firmador digital: quedará como versión definitiva, con su huella en la página pública de verificación.
firmada-boton = Archivar la nota firmada
preparado-borrador = Borrador de la Nota Interna guardado.
nota-guardar-borrador = Guardar borrador
nota-borrador-ayuda = El borrador se guarda mientras escribe; lo encontrará aquí al volver.
nota-borrador-guardado = Borrador guardado a las
nota-borrador-no-guardado = No se pudo guardar el borrador.
preparado-firmada = Nota firmada archivada como versión definitiva.
solicitud-servicios = Servicios solicitados
solicitud-entidad = Entidad publicadora
solicitud-publicaciones = Servicios a publicar
cuatro-ojos-titulo = Por qué no puede aprobar
nota-titulo = Nota Interna
nota-numero = { $numero } (revisión { $revision })
nota-actividades = Actividades realizadas
nota-recomendaciones = Recomendaciones
nota-huella = Huella SHA-256 de lo que se aprueba:
solicitud-openapi = Descripción OpenAPI de lo habilitado
acceso-documentacion-pdf = Descargar la documentación de acceso (PDF)
acceso-documentacion = Documentación de acceso
acceso-doc-ayuda = Lo que este sistema puede llamar, cómo autenticarse y cómo probarlo. No contiene ningún secreto: donde hace falta dice <SU_CLAVE_DE_API>, <ISS> o <SU_SECRETO>.
acceso-doc-sistema = Sistema consumidor
acceso-doc-unidad = Unidad solicitante
acceso-doc-solicitud = Solicitud (PR05)
acceso-doc-fecha = Fecha
acceso-doc-credenciales = Credenciales
acceso-doc-autenticacion = Autenticación
acceso-doc-auth-apikey = Clave de API: la cabecera
acceso-doc-auth-jwt = JWT HS256: la cabecera Authorization: Bearer <JWT>, firmado con <SU_SECRETO>, con iss = <ISS> y exp:
acceso-doc-produccion = Producción
acceso-doc-sandbox = Sandbox
acceso-doc-vigencia = Vigencia
acceso-doc-limite = Límite
acceso-doc-sin-limite = sin límite propio
acceso-doc-metodo = Método
acceso-doc-ruta = Ruta
acceso-doc-operacion = Operación
acceso-doc-probar = Para probar (el sandbox responde con los ejemplos de la descripción, sin datos reales):
acceso-doc-errores = Códigos de error de la pasarela
acceso-doc-codigo = Código
acceso-doc-estado = Estado HTTP
acceso-doc-significado = Significado
acceso-doc-volver = Volver a la solicitud
hoja-de-ruta-descargar = Descargar la hoja de ruta (PDF)
nota-descargar-pdf = Descargar la Nota Interna (PDF)
nota-vista-previa = Vista previa de la Nota Interna
nota-vista-previa-ayuda = Así se leerá la nota; todavía no se guardó. El número se asigna al confirmar.
nota-ver-vista-previa = Vista previa
solicitud-historial = Progreso del documento
solicitud-historial-vacio = La solicitud todavía no tiene movimientos.
solicitud-acciones = Acciones disponibles
solicitud-sin-acciones = No tiene acciones disponibles sobre esta solicitud en este momento.
solicitud-comentario = Comentario
solicitud-comentario-requerido = Comentario (obligatorio: indique el motivo)
solicitud-lider = Líder de equipo de ADAS
solicitud-devolver-a = Devolver a
solicitud-nota-cuerpo = Nota Interna: actividades realizadas
solicitud-nota-recomendaciones = Recomendaciones (opcional)
solicitud-confirmar = Confirmar
solicitud-hecho = Acción registrada: { $accion }.
hist-fecha = Fecha
hist-quien = Quién
hist-accion = Acción
hist-de = De
hist-a = A
hist-comentario = Comentario

error-titulo = No se pudo completar la acción
error-csrf = El formulario venció o no es de esta sesión; vuelva a intentarlo.
error-no-encontrada = No existe esa página.
error-volver = Volver a la bandeja

estado-borrador = Borrador
estado-presentada = Presentada
estado-derivada_adas = Derivada a ADAS
estado-asignada_lider = Asignada a un Líder de equipo
estado-habilitada = Habilitada
estado-nota_elaborada = Nota Interna elaborada
estado-nota_aprobada_adas = Nota Interna aprobada por ADAS
estado-nota_aprobada_upat = Nota Interna aprobada por UPAT
estado-recibida = Recibida
estado-observada = Observada
estado-rechazada = Rechazada
estado-desistida = Desistida

accion-presentar = Presentar
accion-derivar = Derivar a ADAS
accion-asignar = Asignar a un Líder
accion-reasignar = Reasignar
accion-habilitar = Habilitar
accion-ajustar_habilitacion = Ajustar la habilitación
accion-elaborar_nota = Elaborar la Nota Interna
accion-aprobar_nota_adas = Aprobar la Nota Interna (ADAS)
accion-aprobar_nota_upat = Aprobar la Nota Interna (UPAT)
accion-recibir = Recibir
accion-observar = Observar
accion-subsanar = Subsanar
accion-rechazar = Rechazar
accion-desistir = Desistir

rol-solicitante = Solicitante
rol-jefe_upat = Jefe de UPAT
rol-responsable_adas = Responsable de ADAS
rol-lider_adas = Líder de equipo de ADAS
rol-administrador = Administrador

tipo-consumo = Consumo
tipo-publicacion = Publicación
tipo-consumo_publicacion = Consumo y publicación

verificar-titulo = Verificación de documentos
verificar-codigo-titulo = Código de verificación
verificar-intro = Escriba el código impreso al pie de la Nota Interna (o lea su código QR) para ver su estado y comprobar que una copia es auténtica.
verificar-codigo-etiqueta = Código
verificar-codigo-boton = Verificar
verificar-nota = Nota Interna con código
verificar-cite = CITE
verificar-fecha = Fecha
verificar-asunto = Referencia
verificar-estado = Estado
verificar-aprobaciones = Aprobaciones de la versión vigente
verificar-sin-aprobaciones = Esta versión aún no tiene aprobaciones.
verificar-paso = Paso
verificar-cargo = Cargo
verificar-nombre = Nombre
verificar-cuando = Fecha y hora
verificar-huellas = Huellas SHA-256
verificar-huellas-ayuda = Una copia es auténtica si su huella es una de estas: el contenido de cada versión (lo que se aprueba), cada PDF que emitió la plataforma y la copia firmada archivada como definitiva.
verificar-version-contenido = Versión { $revision }: contenido
verificar-version-pdf = Versión { $revision }: PDF { $etapa }
verificar-version-firmada = Versión { $revision }: PDF firmado (definitivo)
verificar-coincide-firmada = Coincide: es la copia firmada de la versión { $revision } de esta nota, archivada como definitiva.
verificar-firmada = Versión definitiva firmada
verificar-firma-firmante = Firmante (certificado)
verificar-firma-emisor = Emitido por
verificar-firma-vigencia = Vigencia del certificado
verificar-firma-vigencia-valor = del { $desde } al { $hasta }
verificar-firma-resumen = Integridad
verificar-firma-integra = El resumen firmado coincide con el contenido del archivo.
verificar-firma-alterada = El resumen firmado NO coincide con el contenido del archivo.
verificar-firma-parcial = El resumen firmado coincide con lo firmado, pero el archivo tiene contenido añadido después de la firma.
verificar-firma-ayuda = Datos leídos de la firma digital del archivo; la plataforma no valida el certificado ante la entidad certificadora.
verificar-comprobar = Comprobar una copia
verificar-hash-etiqueta = Huella SHA-256
verificar-hash-boton = Comprobar la huella
verificar-archivo-etiqueta = o el archivo PDF
verificar-archivo-boton = Comprobar el archivo
verificar-resumen-presentado = Huella presentada:
verificar-coincide-contenido = Coincide: es el contenido de la versión { $revision } de esta nota.
verificar-coincide-pdf = Coincide: es el PDF de la versión { $revision } de esta nota ({ $etapa }).
verificar-no-coincide = No coincide con ninguna versión de esta nota ni con ningún PDF emitido de ella: esta copia no es auténtica o corresponde a otro documento.
verificar-aviso = Esta página muestra solo los datos necesarios para verificar el documento; no requiere cuenta.
verificacion-estado-en_revision = En revisión (devuelta para corregirla)
verificacion-estado-elaborada = Elaborada; espera la aprobación de ADAS
verificacion-estado-aprobada_adas = Aprobada por ADAS; espera la aprobación de UPAT
verificacion-estado-aprobada_upat = Aprobada; espera la recepción de la unidad solicitante
verificacion-estado-recibida = Aprobada y recibida: vigente
verificacion-estado-anulada = Anulada
verificacion-etapa-elaborada = al elaborarse
verificacion-etapa-aprobada_adas = tras la aprobación de ADAS
verificacion-etapa-aprobada_upat = tras la aprobación de UPAT
nav-cites = Registro de CITE
cites-titulo = Registro de CITE de la gestión
cites-ayuda = Cada número asignado a una Nota Interna en el año, en el orden en que se asignó. Un número cuya solicitud fue rechazada o desistida después queda anulado y no se vuelve a asignar.
cites-filtro = Gestión del registro
cites-gestion = Gestión (año)
cites-ver = Ver
cites-vacio = Ningún número asignado en esta gestión.
cites-resumen = { $n ->
        [one] 1 número asignado
       *[other] { $n } números asignados
    }, { $anulados ->
        [0] ninguno anulado
        [one] 1 anulado
       *[other] { $anulados } anulados
    }.
cites-anulado = ANULADO
col-cite = CITE
col-solicitud = Solicitud
col-asignado = Asignado
col-autor = Elaborada por
verificar-suplencia = { $rol } a.i. (en lugar de { $suplido })
historial-suplencia = { $nombre } ({ $rol } a.i., en lugar de { $suplido })
renovacion-titulo = Renovación
renovacion-ayuda = Para seguir usando lo habilitado después de su vigencia, pida la renovación: se crea una solicitud nueva con el mismo sistema y los mismos servicios, que sigue el procedimiento PR05 con su propio documento de respaldo.
renovacion-boton = Solicitar la renovación
nav-informe = Informe de gestión
informe-titulo = Informe de gestión
informe-ayuda = Calculado a partir del historial de cada solicitud el { $fecha }. Los días son hábiles (sin fines de semana ni feriados configurados); la mediana y el p90 se toman por rango más cercano.
informe-csv = Descargar el informe (CSV)
informe-pasos = Tiempo en cada paso
informe-pasos-ayuda = Cada estancia es el tiempo que una solicitud pasó en el paso; se cuenta vencida si terminó en o después de su plazo, o si sigue abierta con el plazo ya cumplido.
informe-meses = Por mes
informe-personas = Por persona (estancias que terminó al actuar)
informe-estados = Solicitudes por estado y tipo
informe-vacio = Sin datos todavía.
informe-col-paso = Paso
informe-col-plazo = Plazo
informe-col-terminadas = Terminadas
informe-col-abiertas = Abiertas
informe-col-mediana = Mediana (días hábiles)
informe-col-p90 = p90 (días hábiles)
informe-col-vencidas = Vencidas
informe-col-mes = Mes
informe-col-presentadas = Presentadas
informe-col-cerradas = Cerradas
informe-col-recibidas = Recibidas
informe-col-persona = Persona
informe-col-solicitudes = Solicitudes
nav-avisos = Avisos
avisos-titulo = Avisos por correo
avisos-ayuda = La plataforma le escribe cuando una solicitud espera por usted; a su unidad, cuando una solicitud se observa, se rechaza o tiene accesos listos, cuando una habilitación está por vencer y cuando un servicio que consume cambia de versión o queda obsoleto; y, si lo elige, cada día hábil un resumen de las solicitudes vencidas. Ningún aviso contiene secretos.
avisos-correo = Correo electrónico (vacío: sin avisos)
avisos-tipos = Quiero recibir
avisos-tipo-turno = Cuando una solicitud espera una acción mía
avisos-tipo-observacion = Cuando una solicitud de mi unidad se observa o se rechaza
avisos-tipo-accesos = Cuando los accesos de mi unidad están listos para retirar
avisos-tipo-vencimiento = Cuando una habilitación de mi unidad (o que otorgué) está por vencer
avisos-tipo-cambios = Cuando un servicio que consume mi unidad (o que habilité) tiene nueva versión o queda obsoleto
avisos-tipo-resumen = El resumen diario de solicitudes vencidas que me esperan (a los jefes de UPAT y ADAS, todas)
avisos-boton = Guardar
avisos-guardado = Preferencias de avisos guardadas.
aviso-turno-asunto = Solicitud { $codigo }: le corresponde «{ $siguiente }»
aviso-turno-cuerpo = La solicitud { $codigo } pasó a «{ $estado }»: { $accion }, por { $actor }.

    Le corresponde ahora: { $siguiente }.
    Comentario: { $comentario }

    { $enlace }

    Plataforma de Interoperabilidad — procedimiento PR05. Elija qué avisos recibe en «Avisos».
aviso-observacion-asunto = Solicitud { $codigo }: { $estado }
aviso-observacion-cuerpo = La solicitud { $codigo } pasó a «{ $estado }»: { $accion }, por { $actor }.

    Comentario: { $comentario }

    { $enlace }

    Plataforma de Interoperabilidad — procedimiento PR05. Elija qué avisos recibe en «Avisos».
aviso-accesos-asunto = Solicitud { $codigo }: accesos listos para retirar
aviso-accesos-cuerpo = Las credenciales que habilitó la solicitud { $codigo } están listas para que un solicitante de su unidad las retire en la plataforma, una sola vez, hasta el { $vence }.

    Este aviso no contiene ningún secreto: las credenciales solo se muestran en la plataforma.

    { $enlace }

    Plataforma de Interoperabilidad — procedimiento PR05. Elija qué avisos recibe en «Avisos».
aviso-resumen-asunto = Solicitudes vencidas al { $fecha }: { $n }
aviso-resumen-cuerpo = Solicitudes que pasaron su plazo y esperan una acción:

    { $lista }

    { $enlace }

    Plataforma de Interoperabilidad — procedimiento PR05. Elija qué avisos recibe en «Avisos».
aviso-vencimiento-asunto = Habilitación por vencer: { $sistema } → { $servicio } (hasta el { $hasta })
aviso-vencimiento-cuerpo = La habilitación que otorgó la solicitud { $codigo } al sistema { $sistema } para el servicio { $servicio } vence el { $hasta }. Después de esa fecha la pasarela rechaza sus llamadas (habilitacion_vencida).

    Para seguir, la unidad solicitante pide la renovación en la página de la solicitud, y sigue el procedimiento PR05.

    { $enlace }

    Plataforma de Interoperabilidad — procedimiento PR05. Elija qué avisos recibe en «Avisos».
aviso-cambios-asunto = El servicio { $servicio } quedará obsoleto desde el { $desde }
aviso-cambios-cuerpo = El servicio { $servicio }, que su sistema consume, se marcó como obsoleto desde el { $desde }; su retiro: { $retiro }. Desde esa fecha sus respuestas llevan las cabeceras Deprecation y Sunset.

    Prevea el cambio a su nueva versión: su consumo se solicita por el procedimiento PR05.

    Plataforma de Interoperabilidad — procedimiento PR05. Elija qué avisos recibe en «Avisos».
aviso-nueva-version-asunto = Nueva versión publicada: { $servicio }
aviso-nueva-version-cuerpo = Se publicó en la Plataforma de Interoperabilidad la versión { $servicio }, sucesora de la que su sistema consume. La versión que usa sigue habilitada mientras no se marque obsoleta; el consumo de la nueva se solicita por el procedimiento PR05.

    { $enlace }

    Plataforma de Interoperabilidad — procedimiento PR05. Elija qué avisos recibe en «Avisos».
