/** Word lists for plausible names; names are pure functions of an index so nothing is kept in memory. */
export const FIRST_NAMES = [
  'Alice', 'Bruno', 'Chloe', 'David', 'Emma', 'Farid', 'Grace', 'Hugo', 'Ines', 'Jonas', 'Kenji', 'Laura', 'Marc', 'Nadia', 'Oscar',
  'Priya', 'Quentin', 'Rosa', 'Samir', 'Tessa', 'Umar', 'Vera', 'William', 'Xin', 'Yara', 'Zoe', 'Lucas', 'Mia', 'Noah', 'Olivia',
  'Pablo', 'Sofia', 'Thomas', 'Anna', 'Ben', 'Clara', 'Daniel', 'Elena', 'Felix', 'Hana',
];
export const LAST_NAMES = [
  'Martin', 'Bernard', 'Dubois', 'Smith', 'Johnson', 'Garcia', 'Muller', 'Schmidt', 'Rossi', 'Tanaka', 'Kim', 'Nguyen', 'Patel', 'Silva',
  'Kowalski', 'Jansen', 'Larsen', 'Moreau', 'Laurent', 'Brown', 'Wilson', 'Lopez', 'Weber', 'Fischer', 'Costa', 'Sato', 'Chen', 'Wang',
  'Singh', 'Novak', 'Horvat', 'Nielsen', 'Olsen', 'Fontaine', 'Petit', 'Roux', 'Lambert', 'Bonnet', 'Clark', 'Lewis',
];
const ACCOUNT_PREFIX = [
  'Nord', 'Blue', 'Alpen', 'Sun', 'Iron', 'Silver', 'Green', 'Red', 'Atlas', 'Polar', 'Vista', 'Orion', 'Delta', 'Summit', 'Harbor',
  'Cedar', 'Falcon', 'Quantum', 'Bright', 'Crest', 'Lumen', 'Nova', 'Pacific', 'Rhine', 'Sierra', 'Terra', 'Union', 'Vertex', 'West', 'Zenith',
];
const ACCOUNT_NOUN = [
  'wind', 'stone', 'bridge', 'field', 'gate', 'line', 'point', 'works', 'path', 'wave', 'peak', 'forge', 'light', 'port', 'river',
  'rock', 'star', 'view', 'vale', 'wood',
];
const ACCOUNT_SUFFIX = ['Logistics', 'Systems', 'Foods', 'Energy', 'Health', 'Bank', 'Retail', 'Motors', 'Labs', 'Telecom', 'Insurance', 'Group'];

/** A company name for account number `i` (0-based): unique for the first 7,200, then numbered. */
export function accountName(i: number): string {
  const base = ACCOUNT_PREFIX.length * ACCOUNT_NOUN.length * ACCOUNT_SUFFIX.length;
  const k = i % base;
  const name = `${ACCOUNT_PREFIX[k % ACCOUNT_PREFIX.length]}${ACCOUNT_NOUN[Math.floor(k / ACCOUNT_PREFIX.length) % ACCOUNT_NOUN.length]} ${
    ACCOUNT_SUFFIX[Math.floor(k / (ACCOUNT_PREFIX.length * ACCOUNT_NOUN.length))]
  }`;
  return i < base ? name : `${name} ${Math.floor(i / base) + 1}`;
}

export function personName(i: number): string {
  return `${FIRST_NAMES[i % FIRST_NAMES.length]} ${LAST_NAMES[Math.floor(i / FIRST_NAMES.length) % LAST_NAMES.length]}`;
}

export const SECTORS = ['Manufacturing', 'Retail', 'Financial Services', 'Healthcare', 'Software', 'Logistics', 'Energy', 'Public Sector', 'Telecom', 'Education'];
export const SECTOR_WEIGHTS = [0.16, 0.12, 0.12, 0.1, 0.14, 0.1, 0.07, 0.06, 0.07, 0.06];

export const COUNTRIES: Record<string, { countries: string[]; weights: number[] }> = {
  EMEA: { countries: ['France', 'Germany', 'United Kingdom', 'Spain', 'Italy', 'Netherlands', 'Sweden', 'United Arab Emirates'], weights: [0.22, 0.22, 0.2, 0.09, 0.09, 0.08, 0.05, 0.05] },
  NA: { countries: ['United States', 'Canada', 'Mexico'], weights: [0.8, 0.14, 0.06] },
  APAC: { countries: ['Australia', 'Japan', 'Singapore', 'India', 'South Korea'], weights: [0.3, 0.25, 0.2, 0.15, 0.1] },
};

export const JOB_TITLES = ['Head of Sales', 'CFO', 'IT Manager', 'Operations Director', 'CEO', 'Procurement Lead', 'CTO', 'Marketing Manager', 'Analyst', 'VP Finance'];

export const DEAL_NOTES: Record<string, string[]> = {
  CALL: ['Discovery call', 'Follow-up call', 'Left voicemail', 'Pricing questions', 'Check-in with champion'],
  EMAIL: ['Sent deck', 'Sent proposal', 'Follow-up email', 'Shared case study', 'Answered security questionnaire'],
  MEETING: ['Stakeholder meeting', 'Procurement meeting', 'Kick-off', 'Executive alignment'],
  DEMO: ['Product demo', 'Technical deep dive', 'Pilot review'],
  NOTE: ['Budget confirmed', 'Competitor in play', 'Champion changed role', 'Legal review pending', 'Decision delayed'],
};
