/** The admin CSV exports (SPEC section 7): what `GET /admin/exports/{kind}.csv` can stream. */
export const EXPORT_KINDS = ['invoices', 'invoice-lines', 'usage', 'events'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];
