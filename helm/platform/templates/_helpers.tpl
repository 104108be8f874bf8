{{/*
Names, labels and the small computed values every template shares. Kubernetes names are
limited to 63 characters (DNS-1123 labels), so every generated name is truncated here.
*/}}

{{/* Chart name, overridable with .Values.nameOverride. */}}
{{- define "platform.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Fully qualified release name: the release name alone when it already contains the chart
name (`helm install platform helm/platform` gives "platform"), else "<release>-<chart>".
*/}}
{{- define "platform.fullname" -}}
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

{{/* "<chart>-<version>" for the helm.sh/chart label. */}}
{{- define "platform.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select a component's pods; never change after install. */}}
{{- define "platform.selectorLabels" -}}
app.kubernetes.io/name: {{ include "platform.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* All labels of an object. Call with (dict "root" $ "component" "operator"). */}}
{{- define "platform.labels" -}}
helm.sh/chart: {{ include "platform.chart" .root }}
{{ include "platform.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: ecommerce-platform
{{- end -}}

{{/*
"<fullname>-<suffix>" within 63 characters. The full name is cut, never the suffix, so two
components of one long-named release never truncate to the same name.
Call with (list $ "suffix").
*/}}
{{- define "platform.componentName" -}}
{{- $suffix := index . 1 -}}
{{- $prefix := include "platform.fullname" (index . 0) | trunc (int (sub 62 (len $suffix))) | trimSuffix "-" -}}
{{- printf "%s-%s" $prefix $suffix -}}
{{- end -}}

{{/* The operator's Kubernetes ServiceAccount. */}}
{{- define "platform.operator.serviceAccountName" -}}
{{- default (include "platform.componentName" (list . "operator")) .Values.operator.serviceAccount.name -}}
{{- end -}}

{{/* The generator pods' Kubernetes ServiceAccount (bound to the Google SA by Workload Identity). */}}
{{- define "platform.generator.serviceAccountName" -}}
{{- default (include "platform.componentName" (list . "generator")) .Values.generator.serviceAccount.name -}}
{{- end -}}

{{/*
Namespaces where generator pods run and so need the generator ServiceAccount and its RBAC:
the operator's watched namespaces, or the release namespace when it watches all of them.
Rendered as a JSON list; read with (include ... | fromJsonArray).
*/}}
{{- define "platform.generator.namespaces" -}}
{{- if .Values.operator.watchNamespaces -}}
{{- default (list) .Values.operator.watchNamespaces | uniq | toJson -}}
{{- else -}}
{{- list .Release.Namespace | toJson -}}
{{- end -}}
{{- end -}}

{{/* The GCP project every cloud resource belongs to; fails early with a clear message. */}}
{{- define "platform.projectId" -}}
{{- required "gcp.projectId is required: pass --set gcp.projectId=YOUR_PROJECT" .Values.gcp.projectId -}}
{{- end -}}

{{/* Google service account email: ecommerce-data-pipeline@PROJECT.iam.gserviceaccount.com. */}}
{{- define "platform.gsaEmail" -}}
{{- printf "%s@%s.iam.gserviceaccount.com" .Values.cloud.serviceAccount.name (include "platform.projectId" .) -}}
{{- end -}}

{{/*
The Google service account generator pods act as (Workload Identity): the narrow
cloud.generatorServiceAccount when enabled, else the pipeline's ecommerce-data-pipeline.
*/}}
{{- define "platform.generatorGsaName" -}}
{{- if .Values.cloud.generatorServiceAccount.enabled -}}
{{- .Values.cloud.generatorServiceAccount.name -}}
{{- else -}}
{{- .Values.cloud.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "platform.generatorGsaEmail" -}}
{{- printf "%s@%s.iam.gserviceaccount.com" (include "platform.generatorGsaName" .) (include "platform.projectId" .) -}}
{{- end -}}

{{/* Bucket name: the value, else PROJECT-ENV-raw-data. */}}
{{- define "platform.bucketName" -}}
{{- default (printf "%s-%s-raw-data" (include "platform.projectId" .) .Values.gcp.environment) .Values.cloud.bucket.name -}}
{{- end -}}

{{/* Kubernetes name of the BigQueryDataset (dataset IDs use "_", Kubernetes names cannot). */}}
{{- define "platform.datasetObjectName" -}}
{{- .Values.cloud.bigquery.datasetId | replace "_" "-" | lower | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Kubernetes name of the BigQueryTable. */}}
{{- define "platform.tableObjectName" -}}
{{- printf "%s-%s" (include "platform.datasetObjectName" .) (.Values.cloud.bigquery.tableId | replace "_" "-" | lower) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Annotations of every Config Connector object: the project it lives in, whether deleting
the Kubernetes object deletes the cloud resource (abandon keeps the data), and the user's
own (configConnector.annotations: force-destroy, reconcile interval, state-into-spec, ...).
The two the chart owns come from their dedicated values; setting them here is refused, so
one install never carries two opinions on what uninstalling deletes.
*/}}
{{- define "platform.cnrmAnnotations" -}}
{{- $extra := default (dict) .Values.configConnector.annotations -}}
{{- range $key := list "cnrm.cloud.google.com/project-id" "cnrm.cloud.google.com/deletion-policy" -}}
{{- if hasKey $extra $key -}}
{{- fail (printf "configConnector.annotations may not set %s: the chart sets it from %s" $key (ternary "gcp.projectId" "configConnector.deleteCloudResources" (hasSuffix "project-id" $key))) -}}
{{- end -}}
{{- end -}}
cnrm.cloud.google.com/project-id: {{ include "platform.projectId" . | quote }}
{{- if not .Values.configConnector.deleteCloudResources }}
cnrm.cloud.google.com/deletion-policy: abandon
{{- end }}
{{- range $key, $value := $extra }}
{{ $key }}: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/*
An image reference "repository:tag". Call with (dict "image" .Values.x.image "key" "x.image").
A moving tag would let two pods of one Deployment run different code: versions only.
*/}}
{{- define "platform.image" -}}
{{- if eq (toString .image.tag) "latest" -}}
{{- fail (printf "%s.tag must be a version such as 0.1.0, not \"latest\"" .key) -}}
{{- end -}}
{{- printf "%s:%s" .image.repository (toString .image.tag) -}}
{{- end -}}

{{/*
The operator's command-line arguments (a YAML list): the namespaces it watches, the
liveness endpoint, and the log level.
*/}}
{{- define "platform.operator.args" -}}
{{- if .Values.operator.watchNamespaces -}}
{{- range default (list) .Values.operator.watchNamespaces | uniq }}
- --namespace={{ . }}
{{- end }}
{{- else -}}
- --all-namespaces
{{- end }}
- --liveness=http://0.0.0.0:{{ .Values.operator.healthPort }}/healthz
{{- if eq .Values.operator.logLevel "debug" }}
- --verbose
{{- end }}
{{- end -}}

{{/*
The operator's environment (a YAML list): EVENTGEN_OPERATOR_GENERATOR_SERVICE_ACCOUNT and
EVENTGEN_OPERATOR_GENERATOR_IMAGE go on every generator pod whose EventGenerator names none;
EVENTGEN_OPERATOR_GCP_PROJECT is the Pub/Sub project when a sink names none;
EVENTGEN_OPERATOR_GENERATOR_RESOURCES (JSON, only when generator.resources is set) replaces
the operator's default generator requests and limits.
*/}}
{{- define "platform.operator.env" -}}
- name: EVENTGEN_OPERATOR_GENERATOR_SERVICE_ACCOUNT
  value: {{ include "platform.generator.serviceAccountName" . | quote }}
- name: EVENTGEN_OPERATOR_GENERATOR_IMAGE
  value: {{ include "platform.image" (dict "image" .Values.generator.image "key" "generator.image") | quote }}
- name: EVENTGEN_OPERATOR_GCP_PROJECT
  value: {{ include "platform.projectId" . | quote }}
{{- with .Values.generator.resources }}
- name: EVENTGEN_OPERATOR_GENERATOR_RESOURCES
  value: {{ toJson . | quote }}
{{- end }}
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{- /* kopf names the operator after POD_ID; without it, kopf asks the passwd database for
the user, and uid 10001 has no entry there. */}}
- name: POD_ID
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- end -}}

{{/*
Pub/Sub's service agent, the identity that forwards undeliverable messages to the dead-letter
topic: serviceAccount:service-NUMBER@gcp-sa-pubsub.iam.gserviceaccount.com. Google names it
after the project number, which no other value carries, so it must be given.
*/}}
{{- define "platform.pubsubServiceAgent" -}}
{{- $number := toString (default "" .Values.gcp.projectNumber) -}}
{{- if not $number -}}
{{- fail (printf "gcp.projectNumber is required with cloud.pubsub.deadLetter.enabled=true: the chart lets Pub/Sub's service agent service-NUMBER@gcp-sa-pubsub.iam.gserviceaccount.com forward to the dead-letter topic; get NUMBER with: gcloud projects describe %s --format 'value(projectNumber)', and pass --set-string gcp.projectNumber=NUMBER" (include "platform.projectId" .)) -}}
{{- end -}}
{{- printf "serviceAccount:service-%s@gcp-sa-pubsub.iam.gserviceaccount.com" $number -}}
{{- end -}}

{{/*
Kubernetes name of a Config Connector object for a cloud resource named NAME (whose real
name goes into spec.resourceID). Pub/Sub and Cloud Storage allow names the API server
refuses (upper case, "_", "~", "+", "%", dots, more than 63 characters): a NAME that already
is a DNS-1123 label of at most 63 characters is used as is (so existing objects keep their
names); any other becomes its lower-cased, "-"-joined form cut to 54 characters plus "-" and
the first 8 hex digits of NAME's sha256, so two names that differ only in what Kubernetes
cannot hold (Orders_Events, orders-events) never share an object. Call with "NAME".
*/}}
{{- define "platform.kccName" -}}
{{- if and (le (len .) 63) (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" .) -}}
{{- . -}}
{{- else -}}
{{- $base := regexReplaceAll "[^a-z0-9]+" (lower .) "-" | trimAll "-" | trunc 54 | trimSuffix "-" -}}
{{- printf "%s-%s" $base (sha256sum . | trunc 8) | trimPrefix "-" -}}
{{- end -}}
{{- end -}}

{{/* Kubernetes names of the Pub/Sub and Storage objects (see platform.kccName). */}}
{{- define "platform.topicObjectName" -}}
{{- include "platform.kccName" .Values.cloud.pubsub.topic -}}
{{- end -}}
{{- define "platform.subscriptionObjectName" -}}
{{- include "platform.kccName" .Values.cloud.pubsub.subscription -}}
{{- end -}}
{{- define "platform.deadLetterTopicObjectName" -}}
{{- include "platform.kccName" .Values.cloud.pubsub.deadLetter.topic -}}
{{- end -}}
{{- define "platform.deadLetterSubscriptionObjectName" -}}
{{- include "platform.kccName" .Values.cloud.pubsub.deadLetter.subscription -}}
{{- end -}}
{{- define "platform.bucketObjectName" -}}
{{- include "platform.kccName" (include "platform.bucketName" .) -}}
{{- end -}}

{{/*
Name of a Config Connector object "<base>-<suffix>" within 63 characters, made a valid
Kubernetes name (Pub/Sub IDs may hold characters names cannot). The base is cut, never the
suffix, so two objects for one long-named resource stay distinct. Call with (list "base" "suffix").
*/}}
{{- define "platform.cnrmChildName" -}}
{{- $suffix := index . 1 -}}
{{- $base := regexReplaceAll "[^a-z0-9-]+" (lower (index . 0)) "-" | trunc (int (sub 62 (len $suffix))) | trimSuffix "-" -}}
{{- printf "%s-%s" $base $suffix -}}
{{- end -}}

{{/*
An IAMPolicyMember: every field of its spec is immutable, so its object name carries a hash
of the whole spec. When a value the spec depends on changes (the project, the generator
ServiceAccount, a namespace, the project number), `helm upgrade` creates a new object and
deletes the old one instead of asking the API server to change an immutable field, which it
refuses. Call with (dict "root" $ "base" "readable-name" "spec" (dict ...)).
*/}}
{{- define "platform.iamPolicyMember" -}}
{{- $hash := .spec | toJson | sha256sum | trunc 8 -}}
apiVersion: iam.cnrm.cloud.google.com/v1beta1
kind: IAMPolicyMember
metadata:
  name: {{ include "platform.cnrmChildName" (list .base $hash) }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "platform.labels" (dict "root" .root "component" "iam") | nindent 4 }}
  annotations:
    {{- include "platform.cnrmAnnotations" .root | nindent 4 }}
spec:
  {{- toYaml .spec | nindent 2 }}
{{- end -}}
