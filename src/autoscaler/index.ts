/** Autoscaler pure cores: Knative KPA (concurrency / RPS), Kubernetes HPA (cpu / memory), and the metric window they read. */
export * from './metric-window.js';
export * from './kpa.js';
export * from './hpa.js';
