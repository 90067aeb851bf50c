import { describe, expect, it } from 'vitest';
import {
  type ChoiceMatch,
  type ChoiceOption,
  matchChoice,
  normalizeWord,
} from '../../src/engine/match-choice.ts';

const TYPE: ChoiceOption[] = [
  { value: 'pengaduan', labels: ['Pengaduan', 'Complaint'] },
  { value: 'aspirasi', labels: ['Aspirasi', 'Aspiration'] },
  { value: 'permintaan_informasi', labels: ['Permintaan informasi', 'Request for information'] },
];

const YES_NO: ChoiceOption[] = [
  { value: 'ya', labels: ['Ya', 'Yes'] },
  { value: 'tidak', labels: ['Tidak', 'No'] },
];

const match = (value: string): ChoiceMatch => ({ kind: 'match', value });
const ambiguous = (...values: string[]): ChoiceMatch => ({ kind: 'ambiguous', values });
const NONE: ChoiceMatch = { kind: 'none' };

type Row = [input: string, expected: ChoiceMatch];

describe('matchChoice: report type (Pengaduan / Aspirasi / Permintaan informasi)', () => {
  const rows: Row[] = [
    // Numbers
    ['1', match('pengaduan')],
    ['2', match('aspirasi')],
    ['3', match('permintaan_informasi')],
    [' 1 ', match('pengaduan')],
    ['1.', match('pengaduan')],
    ['1)', match('pengaduan')],
    ['no 1', match('pengaduan')],
    ['No. 2', match('aspirasi')],
    ['no.3', match('permintaan_informasi')],
    ['nomor 2', match('aspirasi')],
    ['pilihan 3', match('permintaan_informasi')],
    ['#2', match('aspirasi')],
    ['01', match('pengaduan')],
    ['2️⃣', match('aspirasi')], // keycap emoji
    ['２', match('aspirasi')], // full-width digit
    ['0', NONE],
    ['4', NONE],
    ['no 4', NONE],
    ['-1', NONE],
    ['1,5', NONE],
    ['12', NONE],
    // Exact, any case, accents and punctuation ignored
    ['pengaduan', match('pengaduan')],
    ['PENGADUAN', match('pengaduan')],
    ['Pengaduan.', match('pengaduan')],
    ['  pengaduan!!  ', match('pengaduan')],
    ['pêngadúan', match('pengaduan')],
    ['complaint', match('pengaduan')],
    ['Aspiration', match('aspirasi')],
    ['permintaan informasi', match('permintaan_informasi')],
    ['Permintaan   Informasi', match('permintaan_informasi')],
    ['permintaan-informasi', match('permintaan_informasi')],
    ['permintaan_informasi', match('permintaan_informasi')], // the value itself
    ['request for information', match('permintaan_informasi')],
    // A whole word of a label
    ['permintaan', match('permintaan_informasi')],
    ['informasi', match('permintaan_informasi')],
    ['information', match('permintaan_informasi')],
    ['request', match('permintaan_informasi')],
    // A prefix of a label, from 3 characters
    ['pengadua', match('pengaduan')],
    ['peng', match('pengaduan')],
    ['asp', match('aspirasi')],
    ['per', match('permintaan_informasi')],
    ['permintaan info', match('permintaan_informasi')],
    ['pe', NONE], // too short to guess from
    ['as', NONE],
    // A prefix of a word inside a label
    ['info', match('permintaan_informasi')],
    ['inform', match('permintaan_informasi')],
    // Typos
    ['pngaduan', match('pengaduan')],
    ['pengadaun', match('pengaduan')], // swapped neighbours
    ['pengaduna', match('pengaduan')],
    ['pengdauan', match('pengaduan')],
    ['pengduan', match('pengaduan')],
    ['penagduan', match('pengaduan')],
    ['pengaduuan', match('pengaduan')],
    ['pngadan', NONE], // 7 characters, two edits: too far
    ['aspirsi', match('aspirasi')],
    ['asprasi', match('aspirasi')],
    ['aspiras', match('aspirasi')], // prefix
    ['aspirsai', match('aspirasi')], // 8 characters: two edits allowed
    ['apsirasi', match('aspirasi')],
    ['infromasi', match('permintaan_informasi')],
    ['informsi', match('permintaan_informasi')],
    ['permintan informasi', match('permintaan_informasi')],
    ['permintaaan', match('permintaan_informasi')],
    ['compalint', match('pengaduan')],
    // Nothing
    ['', NONE],
    ['   ', NONE],
    ['🙏', NONE],
    ['👍👍', NONE],
    ['...', NONE],
    ['halo', NONE],
    ['saya mau lapor jalan rusak di depan rumah', NONE],
    ['xyz', NONE],
  ];
  it.each(rows)('%j → %j', (input, expected) => {
    expect(matchChoice(input, TYPE)).toEqual(expected);
  });
});

describe('matchChoice: ya / tidak', () => {
  const rows: Row[] = [
    ['ya', match('ya')],
    ['Ya', match('ya')],
    ['YA!', match('ya')],
    ['yes', match('ya')],
    ['tidak', match('tidak')],
    ['Tidak.', match('tidak')],
    ['no', match('tidak')], // "no" alone is the English label, not "number"
    ['NO', match('tidak')],
    ['no 1', match('ya')],
    ['1', match('ya')],
    ['2', match('tidak')],
    ['3', NONE],
    ['tid', match('tidak')],
    ['tida', match('tidak')],
    ['tdak', match('tidak')],
    ['tidka', match('tidak')],
    ['yess', match('ya')],
    ['ti', NONE],
    ['yg', NONE],
    // How people answer a yes/no question in chat.
    ['y', match('ya')],
    ['iya', match('ya')],
    ['Iyaa', match('ya')],
    ['ok', match('ya')],
    ['oke', match('ya')],
    ['sudah benar', match('ya')],
    ['\u{1F44D}', match('ya')],
    ['gak', match('tidak')],
    ['nggak', match('tidak')],
    ['enggak', match('tidak')],
    ['tdk', match('tidak')],
    ['tidak mau', match('tidak')],
    ['n', match('tidak')],
    ['satu', match('ya')], // a number word, like "1"
    ['kedua', match('tidak')],
  ];
  it.each(rows)('%j → %j', (input, expected) => {
    expect(matchChoice(input, YES_NO)).toEqual(expected);
  });
});

describe('matchChoice: ambiguity', () => {
  const ROADS: ChoiceOption[] = [
    { value: 'jalan_rusak', labels: ['Jalan rusak'] },
    { value: 'jalan_macet', labels: ['Jalan macet'] },
    { value: 'lampu_jalan', labels: ['Lampu jalan mati'] },
    { value: 'sampah', labels: ['Sampah'] },
  ];
  const COURTS: ChoiceOption[] = [
    { value: 'pengaduan', labels: ['Pengaduan'] },
    { value: 'pengadilan', labels: ['Pengadilan'] },
  ];
  const KOTA: ChoiceOption[] = [
    { value: 'kota', labels: ['Kota'] },
    { value: 'kita', labels: ['Kita'] },
    { value: 'kata_kata', labels: ['Kata-kata'] },
  ];
  const DUPLICATE: ChoiceOption[] = [
    { value: 'a', labels: ['Lainnya'] },
    { value: 'b', labels: ['Lainnya'] },
  ];
  const sets = new Map<ChoiceOption[], string>([
    [ROADS, 'roads'],
    [COURTS, 'pengaduan/pengadilan'],
    [KOTA, 'kota/kita/kata-kata'],
    [DUPLICATE, 'duplicate labels'],
  ]);
  const rows: [options: ChoiceOption[], input: string, expected: ChoiceMatch][] = [
    [ROADS, 'jalan', ambiguous('jalan_rusak', 'jalan_macet', 'lampu_jalan')],
    [ROADS, 'jal', ambiguous('jalan_rusak', 'jalan_macet')], // label prefixes beat word prefixes
    [ROADS, 'jalan rusak', match('jalan_rusak')],
    [ROADS, 'rusak', match('jalan_rusak')],
    [ROADS, 'macet', match('jalan_macet')],
    [ROADS, 'lampu', match('lampu_jalan')],
    [ROADS, 'mati', match('lampu_jalan')],
    [ROADS, 'jalan rusk', match('jalan_rusak')],
    [ROADS, 'sampah', match('sampah')],
    [ROADS, 'smapah', match('sampah')],
    [ROADS, 'lain', NONE],
    [COURTS, 'pengad', ambiguous('pengaduan', 'pengadilan')],
    [COURTS, 'pengaduann', match('pengaduan')], // one edit from one, more from the other: the closest wins
    [COURTS, 'pengadian', ambiguous('pengaduan', 'pengadilan')], // one edit from both
    [COURTS, 'pengadulan', ambiguous('pengaduan', 'pengadilan')], // also one edit from both
    [KOTA, 'kata', match('kata_kata')], // a whole word of "Kata-kata" beats typo tolerance
    [KOTA, 'kuta', ambiguous('kota', 'kita', 'kata_kata')], // one edit from all three
    [KOTA, 'kot', match('kota')],
    [DUPLICATE, 'lainnya', ambiguous('a', 'b')],
    [DUPLICATE, '2', match('b')],
  ];
  it.each(rows.map(([options, input, expected]) => ({ set: sets.get(options), options, input, expected })))(
    '$set: $input',
    ({ options, input, expected }) => {
      expect(matchChoice(input, options)).toEqual(expected);
    },
  );
});

describe('matchChoice: numbers and labels that look like numbers', () => {
  const YEARS: ChoiceOption[] = [
    { value: 'y2024', labels: ['2024'] },
    { value: 'y2025', labels: ['2025'] },
  ];
  const rows: [input: string, expected: ChoiceMatch][] = [
    ['1', match('y2024')],
    ['2', match('y2025')],
    ['2025', match('y2025')], // out of range as a position, but literally a label
    ['2026', NONE], // digits never go through typo tolerance
    ['202', NONE],
  ];
  it.each(rows)('%j → %j', (input, expected) => {
    expect(matchChoice(input, YEARS)).toEqual(expected);
  });

  it('returns none when there are no options', () => {
    expect(matchChoice('1', [])).toEqual(NONE);
    expect(matchChoice('pengaduan', [])).toEqual(NONE);
  });
});

describe('normalizeWord', () => {
  const rows: [input: string, expected: string][] = [
    ['batal', 'batal'],
    ['BATAL', 'batal'],
    ['  Batal!! ', 'batal'],
    ['batal.', 'batal'],
    ['Permintaan-Informasi', 'permintaan informasi'],
    ['permintaan_informasi', 'permintaan informasi'],
    ['a   b\t\nc', 'a b c'],
    ['Café', 'cafe'],
    ['pêngadúan', 'pengaduan'],
    ["Jum'at", 'jumat'],
    ['Jum’at', 'jumat'],
    ['ＢＡＴＡＬ', 'batal'],
    ['batal 🙏', 'batal'],
    ['🙏', ''],
    ['', ''],
    ['No. 1', 'no 1'],
  ];
  it.each(rows)('%j → %j', (input, expected) => {
    expect(normalizeWord(input)).toBe(expected);
  });
});

describe('matchChoice: chat forms of yes/no only on a yes/no question', () => {
  const colours = [
    { value: 'red', labels: ['Merah'] },
    { value: 'green', labels: ['Hijau'] },
  ];
  it.each(['iya', 'ok', 'gak', 'y'])('%j picks nothing among options that are not ya/tidak', (input) => {
    expect(matchChoice(input, colours)).toEqual(NONE);
  });
  it('a number word picks by position; past the last option, nothing', () => {
    expect(matchChoice('dua', colours)).toEqual(match('green'));
    expect(matchChoice('second', colours)).toEqual(match('green'));
    expect(matchChoice('tiga', colours)).toEqual(NONE);
  });
});
