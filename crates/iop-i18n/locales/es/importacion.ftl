# Lo que el importador de descripciones dice de un documento: cada rechazo y cada aviso del informe
# de importación, por su código. La ubicación (puntero JSON o archivo:línea) va aparte.

## Rechazos: la descripción no se importa
json-no-valido = JSON no válido: { $detalle }
yaml-no-valido = YAML no válido: { $detalle }
clave-repetida = la clave «{ $clave }» está escrita dos veces en el mismo objeto
anidamiento = la descripción anida más de { $max } niveles
no-es-openapi = se espera una descripción OpenAPI 3.0, 3.1 o Swagger 2.0 (campo «openapi»: "3.x" o «swagger»: "2.0")
version-no-admitida = la versión «{ $version }» no se admite: se importan OpenAPI 3.0, OpenAPI 3.1 y Swagger 2.0
sin-paths = la descripción no tiene «paths» (ni operaciones en otra parte que la pasarela pueda atender)
ruta-sin-barra = la ruta «{ $ruta }» debe empezar con «/»
id-repetido = operationId «{ $id }» repetido
sin-operaciones = la descripción no declara ninguna operación
ref-no-resuelta = la referencia «{ $ref }» no lleva a ningún elemento
ref-ciclica = la referencia «{ $ref }» se contiene a sí misma (ciclo)
ref-externa = la referencia «{ $ref }» apunta a otro archivo: suba la descripción como archivo comprimido (zip o tar.gz) con todos sus archivos
ref-remota = la referencia «{ $ref }» apunta a la red: la plataforma no descarga nada; incluya ese archivo en el archivo comprimido
archivo-no-valido = el archivo comprimido no se lee: { $detalle }
archivo-sin-entrada = el archivo comprimido no contiene «{ $entrada }» (indique en «entrada» el archivo principal)
archivo-ruta-insegura = la entrada «{ $nombre }» del archivo comprimido tiene una ruta absoluta o con «..»
archivo-enlace = la entrada «{ $nombre }» del archivo comprimido es un enlace; solo se aceptan archivos
archivo-demasiados = el archivo comprimido tiene más de { $max } archivos
archivo-muy-grande = el contenido descomprimido supera { $max }
archivo-compresion = la entrada «{ $nombre }» se comprime más de { $max } veces: se rechaza por seguridad
no-es-texto = «{ $nombre }» no es texto UTF-8; se espera OpenAPI en JSON o YAML
tiempo-agotado = la descripción tardó más de { $segundos } s en leerse; simplifíquela o divídala
importador-no-disponible = el importador no está disponible; inténtelo de nuevo

## Avisos del informe: la descripción se importa, pero esto no
webhooks-no-importados = { $n ->
    [1] 1 webhook no se importa: la pasarela atiende llamadas de los consumidores, no envía eventos
   *[other] { $n } webhooks no se importan: la pasarela atiende llamadas de los consumidores, no envía eventos
}
callbacks-no-importados = los callbacks de esta operación no se importan: la pasarela no llama a los consumidores
ejemplo-externo = el ejemplo «{ $url }» está en otro lugar (externalValue) y no se descarga; el sandbox usa el siguiente ejemplo disponible
respuesta-generada = sin ejemplo: el sandbox responde con un valor generado a partir del esquema (marcado «x-iop-sandbox: generado»)
sin-respuesta = sin ejemplo ni esquema de una respuesta exitosa: el sandbox responde «sin_ejemplo»
ref-local-rota = la referencia «{ $ref }» no lleva a ningún elemento; se ignora
clave-desconocida = «{ $clave }» no es parte de OpenAPI en este lugar; se ignora
swagger-convertido = descripción Swagger 2.0 convertida a OpenAPI 3.0; se guardan el original y la conversión
swagger-perdido = Swagger 2.0: «{ $que }» no tiene equivalente en OpenAPI 3 y no se convierte
servidor-prefijo = la descripción declara el servidor «{ $servidor }» con la ruta «{ $prefijo }», y el origen del conector «{ $origen }» no termina en ella: las llamadas llegarían sin ese prefijo; agregue «{ $prefijo }» a la URL de origen del conector
