/** Instrumentation scope of every span; a test keeps the version equal to package.json's. */
export const LIBRARY_NAME = "langchain-otel";
export const LIBRARY_VERSION = "0.1.0";
