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
solicitudes-todas = Todas
solicitudes-filtrar = Filtrar
solicitudes-vacia = No hay solicitudes que mostrar.
col-actualizada = Último cambio
nav-nueva = Nueva solicitud
nueva-titulo = Nueva solicitud de consumo
nueva-resumen = La solicitud queda como borrador con su documento de respaldo; preséntela desde su página (paso 1).
nueva-sistema = Sistema beneficiario
nueva-elija = Elija…
nueva-servicios = Servicios que solicita consumir
nueva-justificacion = Justificación
nueva-documento-tipo = Tipo de documento de respaldo
nueva-archivo = Documento de respaldo (PDF)
nueva-crear = Crear el borrador
documento-NI = Nota Interna (NI)
documento-NTA = Norma Técnica de Adhesión (NTA)
documento-IL = Informe Legal (IL)
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
