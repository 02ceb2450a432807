/** Named leases: one holder at a time runs the job until `expires_at` (the housekeeping). */
export interface JobLeasesTable {
  name: string;
  holder: string;
  expires_at: Date;
}
