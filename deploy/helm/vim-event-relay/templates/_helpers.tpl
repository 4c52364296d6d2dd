{{/* The objects' name: the release's when it is vim-event-relay, else <release>-vim-event-relay. */}}
{{- define "vim-event-relay.fullname" -}}
{{- if eq .Release.Name .Chart.Name }}{{ .Release.Name }}{{ else }}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{ end }}
{{- end }}

{{/* Selector labels: immutable, so name and instance only. */}}
{{- define "vim-event-relay.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* ONAP OOM's recommended labels, on every object. */}}
{{- define "vim-event-relay.labels" -}}
{{ include "vim-event-relay.selectorLabels" . }}
app.kubernetes.io/component: multicloud
app.kubernetes.io/part-of: onap
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* config.json: the values' config, Kafka's brokers and SASL or TLS from kafkaUser. */}}
{{- define "vim-event-relay.config" -}}
{{- $cfg := deepCopy .Values.config }}
{{- with .Values.kafkaUser }}
{{- if .enabled }}
{{- if eq .authenticationType "tls" }}
{{- $_ := set $cfg "kafka" (dict "brokers" (list (printf "%s-kafka-bootstrap:9093" .cluster)) "ssl" (dict "enabled" true "caFile" "/run/secrets/kafka-cluster-ca/ca.crt" "certFile" "/run/secrets/kafka-user/user.crt" "keyFile" "/run/secrets/kafka-user/user.key")) }}
{{- else }}
{{- $_ := set $cfg "kafka" (dict "brokers" (list (printf "%s-kafka-bootstrap:9092" .cluster)) "sasl" (dict "mechanism" "scram-sha-512")) }}
{{- end }}
{{- end }}
{{- end }}
{{- toPrettyJson $cfg }}
{{- end }}
