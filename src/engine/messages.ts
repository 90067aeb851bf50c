import type { Lang } from './types.ts';

/**
 * Everything the engine itself says, in both languages. Flow prompts live in `flows/*.yaml`;
 * these are the words around them. Tone: a courteous public servant — short, clear, "Bapak/Ibu",
 * never blaming the citizen.
 */
const MESSAGES = {
  welcome: {
    id: 'Selamat datang di layanan pengaduan *Aduan* (SP4N-LAPOR!). Apa yang dapat kami bantu, Bapak/Ibu?',
    en: 'Welcome to *Aduan*, the SP4N-LAPOR! complaint service. How can we help you?',
  },
  welcomeBack: {
    id: 'Selamat datang kembali. Laporan Bapak/Ibu masih tersimpan, mari kita lanjutkan.',
    en: 'Welcome back. Your report is still saved; let us continue.',
  },
  menuHelp: { id: 'Bantuan', en: 'Help' },
  menuLanguage: { id: 'Bahasa / Language', en: 'Bahasa / Language' },
  generalHelp: {
    id: 'Bapak/Ibu dapat mengetik kata berikut kapan saja:\n*batal* — membatalkan laporan\n*kembali* — ke pertanyaan sebelumnya\n*lewati* — melewati pertanyaan yang tidak wajib\n*status* — cek status laporan\n*bahasa* — ganti bahasa\n*hapus data* — menghapus data Bapak/Ibu di layanan ini\n*bantuan* — bantuan ini',
    en: 'You can type these words at any time:\n*cancel* — cancel the report\n*back* — previous question\n*skip* — skip an optional question\n*status* — check a report\n*language* — change language\n*delete my data* — delete your data from this service\n*help* — this help',
  },
  chooseLanguage: { id: 'Silakan pilih bahasa:', en: 'Please choose a language:' },
  languageSet: {
    id: 'Baik, kami akan menggunakan Bahasa Indonesia.',
    en: 'All right, we will continue in English.',
  },
  cancelled: {
    id: 'Laporan dibatalkan dan drafnya sudah kami hapus. Bapak/Ibu dapat membuat laporan baru kapan saja.',
    en: 'The report is cancelled and its draft deleted. You can start a new report at any time.',
  },
  nothingToCancel: {
    id: 'Saat ini tidak ada laporan yang sedang dibuat.',
    en: 'There is no report in progress.',
  },
  firstQuestion: { id: 'Ini sudah pertanyaan pertama.', en: 'This is already the first question.' },
  notOptional: {
    id: 'Pertanyaan ini perlu dijawab agar laporan dapat ditindaklanjuti.',
    en: 'This question needs an answer so that the report can be followed up.',
  },
  staleButton: {
    id: 'Tombol tersebut untuk pertanyaan sebelumnya dan sudah tidak berlaku.',
    en: 'That button belonged to an earlier question and no longer applies.',
  },
  flowChanged: {
    id: 'Mohon maaf, formulir laporan baru saja diperbarui. Jawaban Bapak/Ibu tetap tersimpan; kita lanjutkan dari pertanyaan berikut.',
    en: 'Sorry, the report form has just been updated. Your answers are kept; we continue with the next question.',
  },
  flowGone: {
    id: 'Mohon maaf, layanan yang sedang Bapak/Ibu gunakan sudah tidak tersedia. Silakan pilih layanan lain.',
    en: 'Sorry, the service you were using is no longer available. Please choose another one.',
  },
  previousAnswer: { id: 'Jawaban sebelumnya: {answer}', en: 'Previous answer: {answer}' },
  skipHint: { id: 'Ketik *lewati* jika tidak ada.', en: 'Type *skip* if none.' },
  skipButton: { id: 'Lewati', en: 'Skip' },
  stuck: {
    id: 'Sepertinya jawaban Bapak/Ibu belum dapat kami proses. Apa yang ingin Bapak/Ibu lakukan?',
    en: 'It seems we could not process your answer yet. What would you like to do?',
  },
  stuckHelp: { id: 'Lihat bantuan', en: 'Show help' },
  stuckRetry: { id: 'Coba lagi', en: 'Try again' },
  stuckCancel: { id: 'Batalkan laporan', en: 'Cancel the report' },
  // Answer errors: explain what is expected, never that the citizen did wrong.
  chooseOne: {
    id: 'Mohon pilih salah satu dari daftar berikut (ketik nomor atau namanya).',
    en: 'Please choose one from the list below (type its number or name).',
  },
  ambiguous: {
    id: 'Jawaban tersebut cocok dengan lebih dari satu pilihan. Mohon pilih salah satu:',
    en: 'That answer matches more than one option. Please choose one:',
  },
  textExpected: {
    id: 'Untuk pertanyaan ini, mohon jawab dengan mengetik teks.',
    en: 'For this question, please answer by typing text.',
  },
  tooShort: {
    id: 'Mohon tuliskan sedikit lebih lengkap (minimal {min} karakter, saat ini {n}).',
    en: 'Please write a little more (at least {min} characters, now {n}).',
  },
  tooLong: {
    id: 'Mohon persingkat jawaban (maksimal {max} karakter, saat ini {n}).',
    en: 'Please shorten the answer (at most {max} characters, now {n}).',
  },
  badTrackingNumber: {
    id: 'Nomor pelacakan tersebut belum kami kenali. Formatnya seperti *ADU-7KQ2-M9XF*; mohon periksa kembali.',
    en: 'We could not recognise that tracking number. It looks like *ADU-7KQ2-M9XF*; please check it.',
  },
  dateInvalid: {
    id: 'Mohon tuliskan tanggal seperti: *hari ini*, *kemarin*, *3 hari lalu*, atau *12/11/2026*.',
    en: 'Please write a date such as: *today*, *yesterday*, *3 days ago*, or *12/11/2026*.',
  },
  dateFuture: {
    id: 'Mohon maaf, tanggal kejadian tidak dapat melewati hari ini. Mohon periksa kembali tanggalnya.',
    en: 'Sorry, the date cannot be later than today. Please check it.',
  },
  dateTooOld: {
    id: 'Mohon maaf, kami hanya dapat menerima kejadian dalam {days} hari terakhir. Jika kejadiannya lebih lama, silakan tuliskan tanggal terdekat yang Bapak/Ibu ingat, atau ketik *bantuan*.',
    en: 'Sorry, we can only take events from the last {days} days. If it was longer ago, please give the closest date you remember, or type *help*.',
  },
  dateExamples: {
    id: 'Contoh: *hari ini*, *kemarin*, *12/11/2026*.',
    en: 'For example: *today*, *yesterday*, *12/11/2026*.',
  },
  locationExpected: {
    id: 'Mohon bagikan lokasi, atau ketik alamatnya (nama jalan, kelurahan/desa, kecamatan).',
    en: 'Please share a location, or type the address (street, village, district).',
  },
  mediaExpected: {
    id: 'Mohon kirim foto atau dokumen, atau ketik *selesai* jika sudah.',
    en: 'Please send a photo or document, or type *done* when finished.',
  },
  mediaLater: {
    id: 'Foto atau dokumen dapat Bapak/Ibu kirim nanti, saat kami menanyakan lampiran.',
    en: 'You can send photos or documents later, when we ask for attachments.',
  },
  mediaRequired: {
    id: 'Mohon kirim minimal satu foto atau dokumen.',
    en: 'Please send at least one photo or document.',
  },
  mediaType: {
    id: 'Mohon maaf, jenis berkas ini belum dapat kami terima. Silakan kirim berkas {types}.',
    en: 'Sorry, we cannot accept this file type. Please send {types}.',
  },
  mediaSize: {
    id: 'Mohon maaf, berkas ini terlalu besar (paling besar {mb} MB). Silakan kirim foto yang lebih kecil atau bagian yang penting saja.',
    en: 'Sorry, this file is too large (at most {mb} MB). Please send a smaller photo or only the important part.',
  },
  mediaReceived: {
    id: 'Berkas diterima ({n} dari maksimal {max}). Kirim lagi, atau ketik *selesai*.',
    en: 'File received ({n} of at most {max}). Send another, or type *done*.',
  },
  mediaFull: {
    id: 'Sudah ada {max} berkas, batas yang dapat diterima. Ketik *selesai* untuk melanjutkan.',
    en: 'There are already {max} files, the most we can accept. Type *done* to continue.',
  },
  mediaDone: { id: 'Selesai', en: 'Done' },
  summaryIntro: { id: 'Mohon periksa kembali laporan Bapak/Ibu:', en: 'Please check your report:' },
  summaryAsk: { id: 'Apakah sudah benar?', en: 'Is everything correct?' },
  confirmSend: { id: 'Kirim laporan', en: 'Send report' },
  confirmEdit: { id: 'Ubah jawaban', en: 'Change an answer' },
  confirmCancel: { id: 'Batal', en: 'Cancel' },
  editPick: { id: 'Jawaban mana yang ingin diubah?', en: 'Which answer would you like to change?' },
  editBack: { id: 'Kembali ke ringkasan', en: 'Back to the summary' },
  skipped: { id: '(dilewati)', en: '(skipped)' },
  files: { id: '{n} berkas', en: '{n} file(s)' },
  followUpFormat: {
    id: 'Untuk menambahkan keterangan pada laporan, ketik: *balas ADU-XXXX-XXXX* diikuti keterangan Bapak/Ibu.',
    en: 'To add information to a report, type: *reply ADU-XXXX-XXXX* followed by your message.',
  },
  ratingAsk: {
    id: 'Bagaimana penilaian Bapak/Ibu atas tindak lanjut laporan *{trackingId}*? Pilih 1 (sangat tidak puas) sampai 5 (sangat puas), atau *Belum selesai* bila masalahnya belum tuntas.',
    en: 'How would you rate the follow-up of report *{trackingId}*? Choose 1 (very unsatisfied) to 5 (very satisfied), or *Not solved* if the problem remains.',
  },
  notSolved: { id: 'Belum selesai', en: 'Not solved' },
  resumeParked: {
    id: 'Mari lanjutkan laporan Bapak/Ibu yang belum selesai.',
    en: "Let's continue your unfinished report.",
  },
  reminder: {
    id: 'Laporan Bapak/Ibu belum selesai dan masih kami simpan. Silakan lanjutkan kapan saja:',
    en: 'Your report is not finished yet and is still saved. Please continue whenever you like:',
  },
  forgetAsk: {
    id: 'Bapak/Ibu meminta kami menghapus data Bapak/Ibu (UU PDP). Yang akan kami hapus: percakapan ini beserta draf laporan yang belum dikirim, riwayat obrolan, dan alamat obrolan ini pada laporan yang sudah Bapak/Ibu kirim. Laporannya sendiri tetap kami simpan di instansi agar tetap dapat ditindaklanjuti, tetapi kabar perkembangannya tidak akan lagi kami kirim ke obrolan ini. Apakah Bapak/Ibu yakin?',
    en: 'You have asked us to delete your data (Personal Data Protection Law). We will delete: this conversation and any unsent report draft, the chat transcript, and this chat address on the reports you have sent. The reports themselves stay with the agency so that they can still be handled, but no further updates will reach this chat. Are you sure?',
  },
  forgetYes: { id: 'Ya, hapus data saya', en: 'Yes, delete my data' },
  forgetNo: { id: 'Tidak, kembali', en: 'No, go back' },
  forgetKept: {
    id: 'Baik, data Bapak/Ibu tidak kami hapus.',
    en: 'All right, your data has not been deleted.',
  },
  forgetDone: {
    id: 'Data Bapak/Ibu sudah kami hapus. Terima kasih telah menggunakan layanan *Aduan*; laporan Bapak/Ibu tetap ditindaklanjuti oleh instansi terkait. Bapak/Ibu dapat memulai percakapan baru kapan saja.',
    en: 'Your data has been deleted. Thank you for using *Aduan*; your reports are still being handled by the agency concerned. You can start a new conversation at any time.',
  },
  forgetInFlight: {
    id: 'Mohon maaf, laporan Bapak/Ibu masih sedang kami daftarkan, sehingga data Bapak/Ibu belum kami hapus. Silakan ketik *hapus data* lagi dalam satu menit.',
    en: 'Sorry, your report is still being registered, so your data has not been deleted yet. Please type *delete my data* again in a minute.',
  },
  forgetFailed: {
    id: 'Mohon maaf, permintaan Bapak/Ibu belum dapat kami proses karena gangguan, sehingga data Bapak/Ibu belum kami hapus. Silakan coba lagi beberapa saat lagi.',
    en: 'Sorry, we could not process your request because of a fault, so your data has not been deleted. Please try again shortly.',
  },
  expired: {
    id: 'Karena tidak ada balasan, draf laporan Bapak/Ibu sudah kami hapus. Silakan mulai lagi kapan saja.',
    en: 'As there was no reply, your report draft has been deleted. You are welcome to start again at any time.',
  },
} as const satisfies Record<string, Record<Lang, string>>;

/** A key of the engine's message table. */
export type MessageKey = keyof typeof MESSAGES;

/**
 * A system message in `lang`, with `{name}` placeholders filled.
 *
 * @example t('id', 'tooShort', { min: 30, n: 12 })
 */
export function t(lang: Lang, key: MessageKey, vars: Record<string, string | number> = {}): string {
  const template: string = MESSAGES[key][lang];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}
