// Minimal typings for the untyped emulator packages, covering only what the harness calls.
declare module 'kinesalite' {
  import type { Server } from 'node:http';
  export default function kinesalite(options?: Record<string, unknown>): Server;
}
declare module 'dynalite' {
  import type { Server } from 'node:http';
  export default function dynalite(options?: Record<string, unknown>): Server;
}
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';
  export default class S3rver {
    constructor(options: Record<string, unknown>);
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
}
