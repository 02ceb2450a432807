// Errors: the AppError type and the closed catalogue of codes clients can rely on.
export { AppError } from './app-error.ts';
export { errorCatalogue, type ErrorCode } from './catalogue.ts';
