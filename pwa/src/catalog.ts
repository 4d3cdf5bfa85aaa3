// The equipment catalogue and the dependencias, cached on the phone for offline scanning and
// offline requests. The catalogue is revalidated with its ETag.

import { signal } from "@preact/signals"
import { getJson } from "./api"

export interface CatalogItem {
  code: string
  kind: string
  brand: string
  model: string
  dependencia: string | null
  location: string
  status: string
}

interface CachedCatalog {
  etag: string | null
  fetchedAt: number
  items: CatalogItem[]
}

export interface Dependencia {
  code: string
  name: string
}

const CATALOG_KEY = "campo.catalog"
const DEPENDENCIAS_KEY = "campo.dependencias"

function read<T>(key: string): T | null {
  try {
    return JSON.parse(localStorage.getItem(key) ?? "null") as T | null
  } catch {
    return null
  }
}

export const catalog = signal<CachedCatalog | null>(read<CachedCatalog>(CATALOG_KEY))
export const dependencias = signal<Dependencia[]>(read<Dependencia[]>(DEPENDENCIAS_KEY) ?? [])

export function lookup(code: string): CatalogItem | undefined {
  return catalog.value?.items.find(i => i.code === code)
}

export function describe(item: CatalogItem): string {
  return [item.kind, item.brand, item.model].filter(s => s && s.trim() !== "").join(" ")
}

export async function refreshCatalog(): Promise<void> {
  try {
    const headers: Record<string, string> = {}
    const etag = catalog.value?.etag
    if (etag) headers["if-none-match"] = etag
    const response = await fetch("/api/equipment/catalog", { headers, credentials: "same-origin" })
    if (response.status === 304 && catalog.value) {
      catalog.value = { ...catalog.value, fetchedAt: Date.now() }
    } else if (response.ok) {
      const body = (await response.json()) as { items: CatalogItem[] }
      catalog.value = { etag: response.headers.get("etag"), fetchedAt: Date.now(), items: body.items }
    } else {
      return
    }
    localStorage.setItem(CATALOG_KEY, JSON.stringify(catalog.value))
  } catch {
    // Offline: keep the cached catalogue.
  }
}

export async function refreshDependencias(): Promise<void> {
  try {
    const list = await getJson<Dependencia[] | { dependencias: Dependencia[] }>("/api/dependencias")
    dependencias.value = Array.isArray(list) ? list : list.dependencias
    localStorage.setItem(DEPENDENCIAS_KEY, JSON.stringify(dependencias.value))
  } catch {
    // Offline: keep the cached list.
  }
}

export function clearCatalog(): void {
  localStorage.removeItem(CATALOG_KEY)
  localStorage.removeItem(DEPENDENCIAS_KEY)
  catalog.value = null
  dependencias.value = []
}
