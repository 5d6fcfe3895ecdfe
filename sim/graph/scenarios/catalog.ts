/**
 * Static material the scenarios are built from: organisations, people's names, locales, time
 * zones, room names, meeting subjects and out-of-office texts. Everything here is interned once;
 * generated items reference these strings instead of copying them.
 */
import type { CloudName } from '../model.js';

export interface OrgSeed {
  /** Display name of the tenant. */
  name: string;
  /** Base of domains and site names (`contoso` -> contoso.com, contoso.onmicrosoft.com, contoso.webex.com). */
  slug: string;
  /** Top-level domain of the default domain. */
  tld: string;
}

export const ORGS: readonly OrgSeed[] = [
  { name: 'Contoso Ltd.', slug: 'contoso', tld: 'com' },
  { name: 'Fabrikam, Inc.', slug: 'fabrikam', tld: 'com' },
  { name: 'Northwind Traders', slug: 'northwindtraders', tld: 'com' },
  { name: 'Tailspin Toys', slug: 'tailspintoys', tld: 'com' },
  { name: 'Woodgrove Bank', slug: 'woodgrovebank', tld: 'com' },
  { name: 'Adventure Works Cycles', slug: 'adventure-works', tld: 'com' },
  { name: 'Litware, Inc.', slug: 'litwareinc', tld: 'com' },
  { name: 'Proseware, Inc.', slug: 'proseware', tld: 'com' },
  { name: 'Wide World Importers', slug: 'wideworldimporters', tld: 'com' },
  { name: 'Alpine Ski House', slug: 'alpineskihouse', tld: 'ch' },
  { name: 'Bellows College', slug: 'bellowscollege', tld: 'edu' },
  { name: 'Coho Winery', slug: 'cohowinery', tld: 'com' },
  { name: 'Fourth Coffee', slug: 'fourthcoffee', tld: 'com' },
  { name: 'Lamna Healthcare Company', slug: 'lamnahealthcare', tld: 'com' },
  { name: 'Margie\'s Travel', slug: 'margiestravel', tld: 'com' },
  { name: 'Nod Publishers', slug: 'nodpublishers', tld: 'com' },
  { name: 'Relecloud', slug: 'relecloud', tld: 'com' },
  { name: 'Trey Research', slug: 'treyresearch', tld: 'net' },
  { name: 'VanArsdel, Ltd.', slug: 'vanarsdel', tld: 'com' },
  { name: 'Humongous Insurance', slug: 'humongousinsurance', tld: 'com' },
  { name: 'Graphic Design Institute', slug: 'graphicdesigninstitute', tld: 'org' },
  { name: 'Lucerne Publishing', slug: 'lucernepublishing', tld: 'de' },
  { name: 'Munson\'s Pickles and Preserves Farm', slug: 'munsonspickles', tld: 'com' },
  { name: 'School of Fine Art', slug: 'fineartschool', tld: 'net' },
];

/** Suffix of the initial domain per cloud (GCC uses the commercial one; 21Vianet its own). */
export const INITIAL_DOMAIN_SUFFIX: Readonly<Record<CloudName, string>> = {
  worldwide: 'onmicrosoft.com',
  gcc: 'onmicrosoft.com',
  gccHigh: 'onmicrosoft.us',
  dod: 'onmicrosoft.us',
  china: 'partner.onmschina.cn',
};

export interface LocaleInfo {
  locale: string;
  displayName: string;
  /** Windows zone name and its IANA equivalent, typical for the locale. */
  zones: readonly (readonly [windows: string, iana: string])[];
  first: readonly string[];
  last: readonly string[];
  /** Index into SUBJECTS_LOCAL (localised recurring-meeting subjects). */
  greeting: string;
  ooo: string;
}

const US_ZONES = [
  ['Pacific Standard Time', 'America/Los_Angeles'],
  ['Eastern Standard Time', 'America/New_York'],
  ['Central Standard Time', 'America/Chicago'],
  ['Mountain Standard Time', 'America/Denver'],
] as const;

export const LOCALES: readonly LocaleInfo[] = [
  {
    locale: 'en-US', displayName: 'English (United States)', zones: US_ZONES,
    first: ['James', 'Mary', 'Robert', 'Patricia', 'Michael', 'Jennifer', 'David', 'Linda', 'Megan', 'Adele', 'Alex', 'Diego', 'Grady', 'Isaiah', 'Johanna', 'Lee', 'Lidia', 'Lynne', 'Miriam', 'Nestor', 'Patti', 'Pradeep', 'Sean', 'Aisha', 'DeShawn', 'Mei'],
    last: ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Bowen', 'Vance', 'Archibald', 'Henderson', 'Lambert', 'Holt', 'Wilber', 'Adams', 'Wilkins', 'Gupta', 'O\'Brien', 'D\'Angelo', 'Nguyen', 'Patel', 'Kim', 'Washington'],
    greeting: 'Hi all,', ooo: 'I am out of the office with limited access to email. For urgent matters please contact my manager.',
  },
  {
    locale: 'en-GB', displayName: 'English (United Kingdom)', zones: [['GMT Standard Time', 'Europe/London']],
    first: ['Oliver', 'Amelia', 'Harry', 'Isla', 'George', 'Ava', 'Noah', 'Emily', 'Siobhan', 'Rhys', 'Callum', 'Priya'],
    last: ['Taylor', 'Evans', 'Thomas', 'Roberts', 'Walker', 'Wright', 'Hughes', 'O\'Neill', 'MacDonald', 'Khan', 'Clarke'],
    greeting: 'Hello everyone,', ooo: 'Thank you for your email. I am currently out of the office and will respond on my return.',
  },
  {
    locale: 'de-DE', displayName: 'Deutsch (Deutschland)', zones: [['W. Europe Standard Time', 'Europe/Berlin']],
    first: ['Lukas', 'Anna', 'Jürgen', 'Sophie', 'Maximilian', 'Lea', 'Björn', 'Hannah', 'Felix', 'Käthe', 'Jörg', 'Mia'],
    last: ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schäfer', 'Groß', 'Koch', 'Bauer'],
    greeting: 'Hallo zusammen,', ooo: 'Vielen Dank für Ihre Nachricht. Ich bin derzeit nicht im Büro und habe nur eingeschränkt Zugriff auf E-Mails.',
  },
  {
    locale: 'fr-FR', displayName: 'Français (France)', zones: [['Romance Standard Time', 'Europe/Paris']],
    first: ['Camille', 'Louis', 'Léa', 'Gabriel', 'Chloé', 'Hugo', 'Inès', 'Théo', 'Zoé', 'Étienne', 'Hélène', 'François'],
    last: ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Lefèvre', 'Moreau', 'D\'Arcy', 'Girard'],
    greeting: 'Bonjour à tous,', ooo: 'Merci pour votre message. Je suis absent(e) du bureau et je vous répondrai dès mon retour.',
  },
  {
    locale: 'ja-JP', displayName: '日本語 (日本)', zones: [['Tokyo Standard Time', 'Asia/Tokyo']],
    first: ['Haruto', 'Yui', 'Sota', 'Aoi', 'Ren', 'Hina', 'Yuto', 'Sakura', 'Takumi', 'Mei'],
    last: ['Sato', 'Suzuki', 'Takahashi', 'Tanaka', 'Watanabe', 'Ito', 'Yamamoto', 'Nakamura', 'Kobayashi', 'Kato'],
    greeting: '皆様、お疲れ様です。', ooo: '誠に恐れ入りますが、ただいま不在にしております。戻り次第ご返信いたします。',
  },
  {
    locale: 'pt-BR', displayName: 'Português (Brasil)', zones: [['E. South America Standard Time', 'America/Sao_Paulo']],
    first: ['João', 'Maria', 'Gabriel', 'Ana', 'Lucas', 'Júlia', 'Matheus', 'Beatriz', 'Conceição', 'Antônio'],
    last: ['Silva', 'Santos', 'Oliveira', 'Souza', 'Rodrigues', 'Ferreira', 'Alves', 'Pereira', 'Gonçalves', 'Araújo'],
    greeting: 'Olá a todos,', ooo: 'Obrigado pela mensagem. Estou fora do escritório e responderei assim que retornar.',
  },
  {
    locale: 'es-ES', displayName: 'Español (España)', zones: [['Romance Standard Time', 'Europe/Madrid']],
    first: ['Lucía', 'Hugo', 'Martina', 'Mateo', 'Sofía', 'Álvaro', 'Paula', 'Daniel', 'Nuria', 'Íñigo'],
    last: ['García', 'Fernández', 'González', 'Rodríguez', 'López', 'Martínez', 'Sánchez', 'Pérez', 'Muñoz', 'Jiménez'],
    greeting: 'Hola a todos,', ooo: 'Gracias por su mensaje. Estoy fuera de la oficina y responderé a mi regreso.',
  },
  {
    locale: 'nl-NL', displayName: 'Nederlands (Nederland)', zones: [['W. Europe Standard Time', 'Europe/Amsterdam']],
    first: ['Daan', 'Emma', 'Sem', 'Julia', 'Lieke', 'Bram', 'Femke', 'Joost'],
    last: ['de Jong', 'Jansen', 'de Vries', 'van den Berg', 'van Dijk', 'Bakker', 'Visser', 'Smit'],
    greeting: 'Hallo allemaal,', ooo: 'Bedankt voor uw bericht. Ik ben afwezig en beantwoord uw e-mail zodra ik terug ben.',
  },
  {
    locale: 'en-IN', displayName: 'English (India)', zones: [['India Standard Time', 'Asia/Kolkata']],
    first: ['Aarav', 'Ananya', 'Vihaan', 'Diya', 'Arjun', 'Isha', 'Rohan', 'Kavya'],
    last: ['Sharma', 'Iyer', 'Reddy', 'Nair', 'Menon', 'Chatterjee', 'Singh', 'Rao'],
    greeting: 'Hi team,', ooo: 'I am on leave with no access to email. Please reach out to my team for anything urgent.',
  },
  {
    locale: 'en-AU', displayName: 'English (Australia)', zones: [['AUS Eastern Standard Time', 'Australia/Sydney']],
    first: ['Jack', 'Charlotte', 'William', 'Olivia', 'Lachlan', 'Matilda', 'Cooper', 'Ruby'],
    last: ['Wilson', 'Campbell', 'Stewart', 'Kelly', 'Murphy', 'Ryan', 'Mitchell', 'Baker'],
    greeting: 'G\'day team,', ooo: 'Thanks for your email. I\'m currently away and will reply when I\'m back.',
  },
];

/** Relative weights of LOCALES. */
export const LOCALE_WEIGHTS: readonly number[] = [40, 10, 12, 8, 6, 6, 5, 4, 5, 4];

export interface RoomSeed {
  /** City or campus code, floor and name parts. */
  site: string;
  code: string;
  names: readonly string[];
  zone: readonly [string, string];
}

export const ROOM_SITES: readonly RoomSeed[] = [
  { site: 'Redmond B40', code: 'RED-B40', names: ['Rainier', 'Baker', 'Olympus', 'Adams', 'St. Helens', 'Shuksan', 'Glacier', 'Cascade'], zone: ['Pacific Standard Time', 'America/Los_Angeles'] },
  { site: 'New York', code: 'NYC', names: ['Hudson', 'Broadway', 'Chelsea', 'SoHo', 'Tribeca', 'Brooklyn', 'Harlem'], zone: ['Eastern Standard Time', 'America/New_York'] },
  { site: 'London', code: 'LON', names: ['Thames', 'Piccadilly', 'Soho', 'Camden', 'Kensington', 'Mayfair'], zone: ['GMT Standard Time', 'Europe/London'] },
  { site: 'Berlin', code: 'BER', names: ['Spree', 'Tiergarten', 'Kreuzberg', 'Mitte', 'Müggelsee', 'Wannsee'], zone: ['W. Europe Standard Time', 'Europe/Berlin'] },
  { site: 'Paris', code: 'PAR', names: ['Montmartre', 'Bastille', 'Opéra', 'Marais', 'Trocadéro'], zone: ['Romance Standard Time', 'Europe/Paris'] },
  { site: 'Tokyo', code: 'TYO', names: ['Sakura', 'Fuji', 'Shibuya', 'Ginza', 'Asakusa'], zone: ['Tokyo Standard Time', 'Asia/Tokyo'] },
  { site: 'São Paulo', code: 'SAO', names: ['Ipiranga', 'Paulista', 'Ibirapuera', 'Pinheiros'], zone: ['E. South America Standard Time', 'America/Sao_Paulo'] },
  { site: 'Oslo', code: 'OSL', names: ['Fjord', 'Holmenkollen', 'Aker Brygge', 'Frogner'], zone: ['W. Europe Standard Time', 'Europe/Oslo'] },
];

/** Room display-name shapes; {site} {floor} {name} {cap} are filled in. */
export const ROOM_NAME_SHAPES: readonly ((site: string, floor: number, name: string, cap: number) => string)[] = [
  (site, floor, name, cap) => `${site} ${floor}.${String(10 + (cap % 40))} ${name} (${cap})`,
  (site, _floor, name, cap) => `Conf Room ${name} (${cap})`,
  (site, floor, name, cap) => `${site}-${floor}F-${name} (${cap}) Webex Board`,
  (site, floor, name, cap) => `${site} / Floor ${floor} / ${name} [${cap} seats, VC]`,
  (_site, floor, name, cap) => `Huddle ${name} ${floor}F (${cap})`,
];

export const SUBJECTS: readonly string[] = [
  'Weekly team sync', 'Project Falcon – status review', 'Q3 planning', '1:1', 'Sprint planning', 'Sprint retrospective',
  'Daily stand-up', 'Customer call: Fabrikam renewal', 'Design review: onboarding flow', 'Budget review FY27',
  'Interview – Senior Software Engineer', 'All hands', 'Quarterly business review', 'Lunch & learn: Kafka basics',
  'Architecture board', 'Security incident post-mortem', 'Vendor demo', 'Coffee chat', 'Pipeline review',
  'Board prep', 'Hiring committee', 'Release go/no-go', 'Town hall', 'Marketing sync', 'Legal review of MSA',
  'Partner kickoff – Woodgrove', 'Roadmap deep dive', 'IT change advisory board', 'Training: new expense tool',
  'Offsite logistics', 'Performance calibration', 'Office hours', 'Bug bash', 'Product council',
  'Sales QBR – EMEA', 'Catch up re: "Phoenix" migration', 'Focus time', 'Dentist', 'Team dinner @ Luigi\'s',
];

export const SUBJECTS_LOCAL: Readonly<Record<string, readonly string[]>> = {
  'de-DE': ['Wochenbesprechung', 'Abstimmung Projektplan', 'Jour fixe', 'Quartalsplanung Vertrieb', 'Mitarbeitergespräch'],
  'fr-FR': ['Point hebdo', 'Réunion d\'équipe', 'Revue de projet', 'Comité de direction', 'Déjeuner d\'équipe'],
  'ja-JP': ['定例会議', 'プロジェクト進捗確認', '週次ミーティング', '1on1', '四半期レビュー'],
  'pt-BR': ['Reunião semanal', 'Alinhamento do projeto', 'Revisão trimestral', 'Café com o time'],
  'es-ES': ['Reunión semanal', 'Seguimiento del proyecto', 'Revisión trimestral', 'Comité de dirección'],
  'nl-NL': ['Weekoverleg', 'Projectoverleg', 'Kwartaalreview'],
};

export const ALL_DAY_SUBJECTS: readonly string[] = [
  'Out of office', 'Vacation', 'Public holiday', 'Conference: Microsoft Ignite', 'Offsite', 'Parental leave',
  'Company holiday', 'Training day', 'Urlaub', 'Congés', 'Férias', '休暇',
];

export const PLAIN_LOCATIONS: readonly string[] = [
  'Building 4, 2nd floor kitchen', 'Cafeteria', 'My desk', 'Starbucks on 5th Ave', 'Client site – Woodgrove Bank HQ',
  'Phone', 'Hotel Adlon, Berlin', 'Offsite: Lakeside Lodge', 'TBD', 'Online', 'Zoom', 'Webex', 'Teams',
  'Town hall stage, Building 92', 'Raum 3.14', 'Salle Voltaire', '会議室A', 'Sala 5 – Térreo',
];

export const AGENDA_LINES: readonly string[] = [
  'Review action items from last week', 'Status of open risks', 'Demo of the new dashboard', 'Hiring update',
  'Customer escalations', 'Budget and headcount', 'Open floor / AOB', 'Decide on release date',
  'Walk through the migration plan', 'Feedback on the draft proposal', 'Next steps and owners',
];
