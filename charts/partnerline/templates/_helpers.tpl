{{/*
Names. Every object is "<fullname>-<component>"; fullname is "<release>-partnerline", or the
release name alone when it already contains the chart name.
*/}}
{{- define "partnerline.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "partnerline.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "partnerline.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* "<fullname>-<component>"; refused rather than truncated when too long for a Service name.
Call with (dict "ctx" $ "component" "orders"). */}}
{{- define "partnerline.componentName" -}}
{{- $n := printf "%s-%s" (include "partnerline.fullname" .ctx) .component -}}
{{- if gt (len $n) 63 -}}
{{- fail (printf "the object name %q is longer than 63 characters: choose a shorter release name or set fullnameOverride" $n) -}}
{{- end -}}
{{- $n -}}
{{- end -}}

{{/* Labels of every object of a component. Call with (dict "ctx" $ "component" "orders"). */}}
{{- define "partnerline.labels" -}}
helm.sh/chart: {{ include "partnerline.chart" .ctx }}
{{ include "partnerline.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: partnerline
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The labels a component's selectors use: they never change over the life of a release. */}}
{{- define "partnerline.selectorLabels" -}}
app.kubernetes.io/name: {{ include "partnerline.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "partnerline.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/*
The services of this chart (services.yaml): name -> {port, protocol, calls, public}, with
each entry's values block checked to exist and every values block checked to have an entry.
Use as: (include "partnerline.catalog" $ | fromYaml).
*/}}
{{- define "partnerline.catalog" -}}
{{- $catalog := .Files.Get "services.yaml" | fromYaml -}}
{{- if or (not $catalog) (hasKey $catalog "Error") -}}
{{- fail "services.yaml is missing from the chart or is not a YAML map" -}}
{{- end -}}
{{- range $name, $c := $catalog -}}
{{- if not (hasKey $.Values.services $name) -}}
{{- fail (printf "services.%s: the chart deploys %s (services.yaml) but values have no services.%s block" $name $name $name) -}}
{{- end -}}
{{- range $callee := $c.calls -}}
{{- if not (hasKey $catalog $callee) -}}
{{- fail (printf "services.yaml: %s calls %s, which is not a service of the chart" $name $callee) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $name, $_ := $.Values.services -}}
{{- if not (hasKey $catalog $name) -}}
{{- fail (printf "services.%s: not a service of this chart (services.yaml has %s)" $name (keys $catalog | sortAlpha | join ", ")) -}}
{{- end -}}
{{- end -}}
{{- toYaml $catalog -}}
{{- end -}}

{{/*
The Secret references in use, as a YAML list of {name, key, for, mount?, env?}: `mount` is the
file name under /var/run/secrets/partnerline for keys read through PARTNERLINE_<KEY>_FILE,
`env` the variable set from the key directly. `for` is the service that needs it, or "all".
*/}}
{{- define "partnerline.secretRefs" -}}
{{- $v := .Values -}}
{{- $refs := list -}}
{{- if not $v.database.url -}}
{{- $refs = append $refs (dict "name" $v.secrets.databaseUrl.name "key" $v.secrets.databaseUrl.key "for" "all" "env" "PARTNERLINE_DATABASE__URL" "what" "database.url") -}}
{{- end -}}
{{- if not $v.nats.url -}}
{{- $refs = append $refs (dict "name" $v.secrets.natsUrl.name "key" $v.secrets.natsUrl.key "for" "all" "env" "PARTNERLINE_NATS__URL" "what" "nats.url") -}}
{{- end -}}
{{- if not $v.auth.signingKeyId -}}
{{- $refs = append $refs (dict "name" $v.secrets.signingKeyId.name "key" $v.secrets.signingKeyId.key "for" "all" "env" "PARTNERLINE_AUTH__SIGNING_KEY_ID" "what" "auth.signing_key_id") -}}
{{- end -}}
{{- if not $v.auth.verifyKeys -}}
{{- $refs = append $refs (dict "name" $v.secrets.verifyKeys.name "key" $v.secrets.verifyKeys.key "for" "all" "env" "PARTNERLINE_AUTH__VERIFY_KEYS" "what" "auth.verify_keys") -}}
{{- end -}}
{{- $refs = append $refs (dict "name" $v.secrets.signingKey.name "key" $v.secrets.signingKey.key "for" "identity" "mount" "auth-signing-key" "env" "PARTNERLINE_AUTH__SIGNING_KEY_FILE" "what" "auth.signing_key") -}}
{{- $refs = append $refs (dict "name" $v.secrets.ipHashSalt.name "key" $v.secrets.ipHashSalt.key "for" "gateway" "mount" "gateway-ip-hash-salt" "env" "PARTNERLINE_GATEWAY__IP_HASH_SALT_FILE" "what" "gateway.ip_hash_salt") -}}
{{- range $provider, $ref := $v.secrets.webhookSecrets -}}
{{- $refs = append $refs (dict "name" $ref.name "key" $ref.key "for" "orders" "mount" (printf "orders-webhook-%s" $provider) "env" (printf "PARTNERLINE_ORDERS__WEBHOOK_SECRETS__%s_FILE" (upper $provider)) "what" (printf "orders.webhook_secrets.%s" $provider)) -}}
{{- end -}}
{{- toYaml $refs -}}
{{- end -}}

{{/* Where secret files are mounted. */}}
{{- define "partnerline.secretDir" -}}/var/run/secrets/partnerline{{- end -}}

{{/*
Environment of a service's container, or of the migrations Job (component "migrate"): the
config file, the URLs (plain or from Secrets) and the secret references of this component.
Call with (dict "ctx" $ "component" "orders").
*/}}
{{- define "partnerline.env" -}}
{{- $ := .ctx -}}
{{- $component := .component -}}
{{- if eq $component "migrate" }}
# No config file: the chart's ConfigMap does not exist yet during a pre-install hook.
- name: PARTNERLINE_CONFIG
  value: /dev/null
- name: PARTNERLINE_DATABASE__NAME_PREFIX
  value: {{ $.Values.database.namePrefix | quote }}
- name: PARTNERLINE_DATABASE__CREATE_MISSING
  value: {{ $.Values.database.createMissing | quote }}
- name: PARTNERLINE_TELEMETRY__LOG_FORMAT
  value: {{ $.Values.telemetry.logFormat | quote }}
- name: PARTNERLINE_TELEMETRY__LOG_LEVEL
  value: {{ $.Values.telemetry.logLevel | quote }}
{{- else }}
- name: PARTNERLINE_CONFIG
  value: /etc/partnerline/partnerline.toml
{{- end }}
{{- with $.Values.database.url }}
- name: PARTNERLINE_DATABASE__URL
  value: {{ . | quote }}
{{- end }}
{{- if and $.Values.nats.url (ne $component "migrate") }}
- name: PARTNERLINE_NATS__URL
  value: {{ $.Values.nats.url | quote }}
{{- end }}
{{- range $ref := (include "partnerline.secretRefs" $ | fromYamlArray) }}
{{- $wanted := or (eq $ref.for $component) (and (eq $ref.for "all") (ne $component "migrate")) (and (eq $component "migrate") (eq $ref.what "database.url")) }}
{{- if $wanted }}
- name: {{ $ref.env }}
{{- if $ref.mount }}
  value: {{ printf "%s/%s" (include "partnerline.secretDir" $) $ref.mount | quote }}
{{- else }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.name | quote }}
      key: {{ $ref.key | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- with $.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- if ne $component "migrate" }}
{{- with (index $.Values.services $component).extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The projected volume of the secret files a component reads, or nothing. */}}
{{- define "partnerline.secretVolume" -}}
{{- $ := .ctx -}}
{{- $component := .component -}}
{{- $sources := list -}}
{{- range $ref := (include "partnerline.secretRefs" $ | fromYamlArray) -}}
{{- if and $ref.mount (eq $ref.for $component) -}}
{{- $sources = append $sources (dict "secret" (dict "name" $ref.name "items" (list (dict "key" $ref.key "path" $ref.mount)))) -}}
{{- end -}}
{{- end -}}
{{- if $sources }}
- name: secrets
  projected:
    defaultMode: 0440
    sources:
      {{- toYaml $sources | nindent 6 }}
{{- end }}
{{- end -}}

{{/* Restricted pod security (Pod Security Standards "restricted"), the same for every pod. */}}
{{- define "partnerline.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "partnerline.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/*
Whole numbers as integers, in place, through maps and lists: Helm reads every number of the
values as a float, and toToml would write max_connections = 10.0, which the services refuse.
*/}}
{{- define "partnerline.intify" -}}
{{- $m := . -}}
{{- range $k, $v := $m -}}
{{- if kindIs "float64" $v -}}
{{- if eq (float64 (int64 $v)) $v -}}{{- $_ := set $m $k (int64 $v) -}}{{- end -}}
{{- else if kindIs "map" $v -}}
{{- include "partnerline.intify" $v -}}
{{- else if kindIs "slice" $v -}}
{{- $out := list -}}
{{- range $e := $v -}}
{{- if kindIs "map" $e -}}{{- include "partnerline.intify" $e -}}{{- $out = append $out $e -}}
{{- else if and (kindIs "float64" $e) (eq (float64 (int64 $e)) $e) -}}{{- $out = append $out (int64 $e) -}}
{{- else -}}{{- $out = append $out $e -}}
{{- end -}}
{{- end -}}
{{- $_ := set $m $k $out -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* partnerline.toml: everything that is not secret. Secrets and URLs come from env. */}}
{{- define "partnerline.config" -}}
{{- $ := . -}}
{{- $services := dict -}}
{{- range $name, $c := (include "partnerline.catalog" $ | fromYaml) -}}
{{- $host := include "partnerline.componentName" (dict "ctx" $ "component" $name) -}}
{{- $_ := set $services $name (dict "listen" (printf "0.0.0.0:%v" $c.port) "url" (printf "http://%s:%v" $host $c.port)) -}}
{{- end -}}
{{- $auth := dict -}}
{{- with $.Values.auth.signingKeyId -}}{{- $_ := set $auth "signing_key_id" . -}}{{- end -}}
{{- with $.Values.auth.verifyKeys -}}{{- $_ := set $auth "verify_keys" (deepCopy .) -}}{{- end -}}
{{- $cfg := dict
  "database" (dict "name_prefix" $.Values.database.namePrefix "max_connections" $.Values.database.maxConnections "create_missing" $.Values.database.createMissing)
  "nats" (dict "prefix" $.Values.nats.prefix "stream_replicas" $.Values.nats.streamReplicas "stream_max_age_days" $.Values.nats.streamMaxAgeDays)
  "telemetry" (dict "log_format" $.Values.telemetry.logFormat "log_level" $.Values.telemetry.logLevel)
  "admin" (dict "listen" "0.0.0.0:9090")
  "auth" $auth
  "services" $services
  "gateway" (dict "public_url" $.Values.config.publicUrl "home_url" $.Values.config.homeUrl "trusted_proxies" (deepCopy $.Values.config.trustedProxies))
  "attribution" (dict "home_url" $.Values.config.homeUrl)
-}}
{{- $cfg = mergeOverwrite $cfg (deepCopy $.Values.config.extra) -}}
{{- include "partnerline.intify" $cfg -}}
{{- toToml $cfg -}}
{{- end -}}
