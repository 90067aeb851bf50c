// The agency API as the inbox page calls it: Bearer key, JSON in and out, and one failure type that
// carries what the server said, with the operator-facing sentence for it.

/** A request that failed: HTTP status (0: no answer), the API's error code and field. */
export class ApiFailure extends Error {
  constructor(status, code, field) {
    super(code);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** Calls the agency API with `key`; resolves to the response when it is 2xx, throws ApiFailure otherwise. */
export async function request(path, { method = 'GET', body, key }) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      cache: 'no-store',
    });
  } catch {
    throw new ApiFailure(0, 'network');
  }
  if (res.ok) return res;
  const error = (await res.json().catch(() => null))?.error ?? {};
  throw new ApiFailure(res.status, error.code ?? 'error', error.field);
}

/** The operator-facing sentence for a failed request: by the API's error code where one needs its own words. */
export function explain(failure) {
  if (!(failure instanceof ApiFailure)) return 'Terjadi kesalahan tak terduga. Muat ulang halaman ini.';
  switch (failure.code) {
    case 'same_agency':
      return 'Laporan ini sudah berada di instansi Anda; pilih instansi lain yang berwenang.';
    case 'unknown_agency':
      return 'Instansi tujuan tidak dikenal; daftar instansi mungkin baru diubah. Muat ulang halaman, lalu pilih lagi.';
    case 'transition_not_allowed':
      // The route answers with field agencyId: a closed or archived ticket cannot be forwarded.
      if (failure.field === 'agencyId')
        return 'Laporan ini tidak dapat didisposisikan dari status sekarang (sudah ditutup atau diarsipkan); laporan telah dimuat ulang.';
      break;
  }
  switch (failure.status) {
    case 0:
      return 'Server tidak dapat dihubungi. Periksa koneksi, lalu coba lagi.';
    case 401:
      return 'Kunci API tidak dikenal atau sudah dicabut. Periksa kembali kunci Anda.';
    case 403:
      return 'Kunci ini tidak berwenang melakukan tindakan tersebut.';
    case 404:
      return 'Laporan tidak ditemukan, atau bukan wewenang instansi Anda.';
    case 409:
      return failure.code === 'note_required'
        ? 'Catatan wajib diisi untuk status ini.'
        : 'Perubahan status ini tidak diizinkan dari status sekarang; laporan telah dimuat ulang.';
    case 429:
      return 'Terlalu banyak permintaan. Tunggu sebentar, lalu coba lagi.';
    default:
      return failure.status >= 500
        ? 'Server sedang bermasalah. Coba lagi sebentar lagi.'
        : 'Isian tidak dapat diterima. Periksa kembali, lalu coba lagi.';
  }
}
