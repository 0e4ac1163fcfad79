# What the description importer says about a document: every refusal and every warning of the
# import report, by its code. The location (JSON pointer or file:line) goes separately.

## Refusals: the description is not imported
json-no-valido = invalid JSON: { $detalle }
yaml-no-valido = invalid YAML: { $detalle }
clave-repetida = the key '{ $clave }' is written twice in the same object
anidamiento = the description nests more than { $max } levels
no-es-openapi = an OpenAPI 3.0, 3.1 or Swagger 2.0 description is expected (field 'openapi': "3.x" or 'swagger': "2.0")
version-no-admitida = version '{ $version }' is not supported: OpenAPI 3.0, OpenAPI 3.1 and Swagger 2.0 are imported
sin-paths = the description has no 'paths' (nor operations elsewhere that the gateway could serve)
ruta-sin-barra = the path '{ $ruta }' must start with '/'
id-repetido = operationId '{ $id }' repeated
sin-operaciones = the description declares no operation
ref-no-resuelta = the reference '{ $ref }' leads to no element
ref-ciclica = the reference '{ $ref }' contains itself (cycle)
ref-externa = the reference '{ $ref }' points to another file: upload the description as an archive (zip or tar.gz) with all its files
ref-remota = the reference '{ $ref }' points to the network: the platform downloads nothing; include that file in the archive
archivo-no-valido = the archive cannot be read: { $detalle }
archivo-sin-entrada = the archive does not contain '{ $entrada }' (name the main file in 'entrada')
archivo-ruta-insegura = the archive entry '{ $nombre }' has an absolute path or one with '..'
archivo-enlace = the archive entry '{ $nombre }' is a link; only files are accepted
archivo-demasiados = the archive has more than { $max } files
archivo-muy-grande = the uncompressed content exceeds { $max }
archivo-compresion = the entry '{ $nombre }' is compressed more than { $max } times: refused for safety
no-es-texto = '{ $nombre }' is not UTF-8 text; OpenAPI in JSON or YAML is expected
tiempo-agotado = reading the description took more than { $segundos } s; simplify or split it
importador-no-disponible = the importer is not available; try again

## Report warnings: the description is imported, but not this
webhooks-no-importados = { $n ->
    [1] 1 webhook is not imported: the gateway serves consumers' calls, it does not send events
   *[other] { $n } webhooks are not imported: the gateway serves consumers' calls, it does not send events
}
callbacks-no-importados = this operation's callbacks are not imported: the gateway does not call consumers
ejemplo-externo = the example '{ $url }' is elsewhere (externalValue) and is not downloaded; the sandbox uses the next available example
respuesta-generada = no example: the sandbox answers with a value generated from the schema (marked 'x-iop-sandbox: generado')
sin-respuesta = no example nor schema of a successful response: the sandbox answers 'sin_ejemplo'
ref-local-rota = the reference '{ $ref }' leads to no element; ignored
clave-desconocida = '{ $clave }' is not part of OpenAPI here; ignored
swagger-convertido = Swagger 2.0 description converted to OpenAPI 3.0; both the original and the conversion are kept
swagger-perdido = Swagger 2.0: '{ $que }' has no OpenAPI 3 equivalent and is not converted
servidor-prefijo = the description declares the server '{ $servidor }' with the path '{ $prefijo }', and the connector's origin '{ $origen }' does not end in it: calls would arrive without that prefix; add '{ $prefijo }' to the connector's origin URL
