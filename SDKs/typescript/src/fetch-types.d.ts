// The generated fetch client (src/gen/client/client.gen.ts) names the DOM type `BodyInit`. @types/node declares
// `RequestInit`, `Request` and `fetch` globally but not `BodyInit`, so a Node-only program (the root tsconfig has no
// DOM lib) would not type-check. This file is not imported by the SDK, so a browser program that includes the
// SDK's sources only through imports keeps the DOM's own declaration and never sees this one.
type BodyInit = NonNullable<RequestInit['body']>;
