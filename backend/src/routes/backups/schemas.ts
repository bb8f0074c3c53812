import { type Static, Type } from 'typebox';

export const BackupInfo = Type.Object(
  {
    filename: Type.String(),
    size: Type.Integer({ description: 'Bytes' }),
    created_at: Type.String({ format: 'date-time', description: 'From the file name (server local time)' }),
  },
  { $id: 'BackupInfo', title: 'BackupInfo' },
);

export const BackupResult = Type.Object(
  {
    success: Type.Boolean(),
    filename: Type.Union([Type.String(), Type.Null()]),
    message: Type.String(),
  },
  { $id: 'BackupResult', title: 'BackupResult' },
);

export const RestoreResult = Type.Object(
  { success: Type.Boolean(), message: Type.String() },
  { $id: 'RestoreResult', title: 'RestoreResult' },
);

/** Typed as loosely as upstream's document (`{message: "Backup <f> deleted successfully"}` in practice). */
export const BackupDeleteResult = Type.Object(
  {},
  {
    additionalProperties: true,
    $id: 'BackupDeleteResult',
    title: 'BackupDeleteResult',
    description: '{"message": "Backup <filename> deleted successfully"}',
  },
);

export const BackupProgress = Type.Object(
  {
    running: Type.Boolean(),
    operation: Type.Union([Type.Literal('backup'), Type.Literal('restore'), Type.Literal('verify'), Type.Null()]),
    phase: Type.Union([Type.String(), Type.Null()], {
      description:
        'dumping database, writing archive | checking archive, loading database, migrating, swapping | done, failed',
    }),
    filename: Type.Union([Type.String(), Type.Null()]),
    started_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    finished_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    bytes_done: Type.Integer({ description: 'Bytes handled in the current phase' }),
    bytes_total: Type.Union([Type.Integer(), Type.Null()], { description: 'Null while unknown' }),
    files_done: Type.Integer({ description: 'Storage files handled in the current phase' }),
    files_total: Type.Union([Type.Integer(), Type.Null()]),
    succeeded: Type.Union([Type.Boolean(), Type.Null()], { description: 'Null while running' }),
    error: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'BackupProgress', title: 'BackupProgress' },
);

export const BackupVerifyResult = Type.Object(
  {
    ok: Type.Boolean({ description: 'True when the archive restores completely and matches its manifest' }),
    has_manifest: Type.Boolean({ description: 'False for archives of SelfDB 0.0.5 (nothing to compare with)' }),
    members: Type.Integer({ description: 'Members of the archive' }),
    storage_files: Type.Integer(),
    tables: Type.Array(
      Type.Object({
        table: Type.String(),
        expected: Type.Union([Type.Integer(), Type.Null()], { description: 'Rows the manifest counts' }),
        restored: Type.Integer({ description: 'Rows the throwaway restore holds' }),
      }),
    ),
    migrations_applied: Type.Array(Type.String()),
    problems: Type.Array(Type.String(), { description: 'Empty when ok' }),
    duration_ms: Type.Integer(),
  },
  { $id: 'BackupVerifyResult', title: 'BackupVerifyResult' },
);

export const BackupSchedule = Type.Object(
  {
    cron: Type.Union([Type.String(), Type.Null()], {
      description: 'BACKUP_SCHEDULE_CRON, in the server\'s local time; null when the schedule is off',
    }),
    retention_days: Type.Integer({
      description: 'BACKUP_RETENTION_DAYS: scheduled archives older than this are deleted (0 keeps everything)',
    }),
    next_run_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'The next scheduled backup of this process (null when off)',
    }),
  },
  { $id: 'BackupSchedule', title: 'BackupSchedule' },
);

/** Documents the multipart body; the route reads it as a stream itself (never buffered, never validated whole). */
export const RestoreBody = Type.Object(
  {
    file: Type.String({ format: 'binary', description: 'Backup file (gzip-compressed tar archive)' }),
  },
  { $id: 'Body_restore_from_backup_file', title: 'Body_restore_from_backup_file' },
);

/** Documents the restore token header; the service checks it (an admin's bearer token works instead). */
export const RestoreHeaders = Type.Object({
  'x-restore-token': Type.Optional(
    Type.String({
      description:
        'One-time restore token of a fresh install (printed by ./selfdb.sh start, shown in the backend log); not needed with an admin bearer token',
    }),
  ),
});

export const FilenameParams = Type.Object({ filename: Type.String({ title: 'Filename' }) });
export type FilenameParams = Static<typeof FilenameParams>;

export const BACKUP_SCHEMAS = [
  BackupInfo,
  BackupResult,
  RestoreResult,
  BackupDeleteResult,
  BackupProgress,
  BackupVerifyResult,
  BackupSchedule,
  RestoreBody,
];
