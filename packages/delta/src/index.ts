// Public API of @mlfusion/delta. End-user symbols first; each section is owned by one area of the engine.

// Storage
export { createLocalObjectStore } from "./storage/local-object-store.js";
export type { ObjectMeta, ObjectStore } from "./storage/object-store.js";
