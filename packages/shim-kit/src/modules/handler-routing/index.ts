export { HandlerRoutingBackend } from './handler-routing-backend.js';
export { handlerRoutingModule } from './handler-routing-module.js';
